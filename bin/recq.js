#!/usr/bin/env node
// The CLI runs from TypeScript source, and loads TypeScript system modules, through tsx.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');

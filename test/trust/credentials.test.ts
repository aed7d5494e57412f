import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { nkeys } from 'nats';
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidOptionError, NatsConnectError } from '../../src/index.ts';
import { connectNats } from '../../src/nats/connection.ts';
import { credentialsFromEnv, withEnvCredentials } from '../../src/nats/credentials.ts';
import { type NatsServer, startNatsServer } from '../support/nats-server.ts';
import { TempDir } from '../support/temp-dir.ts';

describe('NATS credentials', () => {
  const servers: NatsServer[] = [];
  afterEach(async () => {
    for (const server of servers.splice(0)) await server.stop();
  });
  const start = async (config: string | ((dir: string) => string)) => {
    const server = await startNatsServer({ config });
    servers.push(server);
    return server;
  };

  it('connects with a token, from the options or RECQ_NATS_TOKEN, and is refused without it', async () => {
    const server = await start('authorization { token: "a-long-token" }');
    await expect(connectNats(server.url, {})).rejects.toBeInstanceOf(NatsConnectError);
    await (await connectNats(server.url, { token: 'a-long-token' })).close();
    const env = { RECQ_NATS_TOKEN: 'a-long-token' };
    expect(credentialsFromEnv(env)).toEqual({ token: 'a-long-token' });
    // Given credentials win over the environment's; without any, the environment's are used.
    expect(withEnvCredentials({ user: 'u', password: 'p' }, env)).toEqual({ user: 'u', password: 'p' });
    expect(withEnvCredentials({}, env)).toEqual({ token: 'a-long-token' });
    await expect(connectNats(server.url, { token: 'wrong' })).rejects.toMatchObject({ code: 'NATS_CONNECT', reason: expect.stringMatching(/authorization/i) });
  });

  it('connects with an NKey seed, given as is or as a file', async () => {
    const user = nkeys.createUser();
    const seed = new TextDecoder().decode(user.getSeed());
    const server = await start(`authorization { users: [ { nkey: ${user.getPublicKey()} } ] }`);
    await expect(connectNats(server.url)).rejects.toBeInstanceOf(NatsConnectError);
    await (await connectNats(server.url, { nkey: seed })).close();
    const dir = new TempDir();
    const file = path.join(dir.path, 'user.nk');
    fs.writeFileSync(file, `${seed}\n`);
    await (await connectNats(server.url, { nkey: file })).close();
    await expect(connectNats(server.url, { nkey: nkeys.createUser().getPublicKey() })).rejects.toBeInstanceOf(InvalidOptionError);
    dir.remove();
  });

  it('connects over TLS with the server’s CA, and refuses credentials that cannot work before connecting', async () => {
    let caFile = '';
    const server = await start((dir) => {
      const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
      run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=recq test CA');
      run('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
      fs.writeFileSync(path.join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
      run(
        'x509',
        '-req',
        '-in',
        'server.csr',
        '-CA',
        'ca.pem',
        '-CAkey',
        'ca.key',
        '-CAcreateserial',
        '-out',
        'server.pem',
        '-days',
        '1',
        '-extfile',
        'san.ext',
      );
      caFile = path.join(dir, 'ca.pem');
      return `tls { cert_file: "${path.join(dir, 'server.pem')}", key_file: "${path.join(dir, 'server.key')}" }`;
    });
    // Without the CA the server's certificate is not trusted.
    await expect(connectNats(server.url, { tls: true })).rejects.toBeInstanceOf(NatsConnectError);
    const nc = await connectNats(server.url, { tls: { ca: caFile } });
    expect(nc.info?.tls_required).toBe(true);
    await nc.close();
    await expect(connectNats(server.url, { user: 'u' })).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(connectNats(server.url, { token: 't', user: 'u', password: 'p' })).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(connectNats(server.url, { creds: '/nonexistent/recq.creds' })).rejects.toMatchObject({ code: 'INVALID_OPTION', option: 'nats.creds' });
  });
});

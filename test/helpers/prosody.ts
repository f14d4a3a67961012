/**
 * Runs a real Prosody XMPP server (Debian's /usr/bin/prosody, 0.12.x) for tests: a temp config
 * with one c2s listener on 127.0.0.1 and a free port, a fresh data dir per run, accounts written
 * ahead (mod_auth_internal_plain reads `<data>/<host>/accounts/<user>.dat` on every login, so
 * `addUser` works while it runs), readiness from the "Activated service 'c2s'" log line, and stop
 * by pid, waiting for the exit. Never a system service.
 *
 * Gotchas this helper makes explicit (docs/drivers.md, "xmpp"):
 * - Prosody refuses to run as root: as root we start it as the `prosody` user and hand it the dir.
 * - Clients must send initial presence before mod_offline delivers what was stored for them.
 * - The default c2s rate limit (10 kb/s) throttles a test to ~80 msgs/s; `rateLimit` raises it.
 * - An unclean disconnect puts the session into XEP-0198 hibernation for
 *   `smacks_hibernation_time` (600 s by default): messages sent meanwhile are routed to the
 *   sleeping session, not to offline storage.
 */

import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chownSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serviceAccount, spawnServer } from './mosquitto.js';
import { freePort } from './ports.js';

const PROSODY = '/usr/bin/prosody';

export interface ProsodyOptions {
  /** The one virtual host. @default 'localhost' */
  domain?: string;
  /** user → password, written before start. @default {} */
  users?: Record<string, string>;
  /** c2s rate limit as Prosody spells it ("10kb/s"), or false for none. @default '100mb/s' */
  rateLimit?: string | false;
  /** XEP-0198 hibernation of unclean sessions, in seconds. @default 600 (Prosody's default) */
  hibernationSeconds?: number;
  /** Load mod_mam (XEP-0313 archive, XEP-0359 stanza ids). @default true */
  mam?: boolean;
  /** Load mod_offline (store messages for users with no available resource). @default true */
  offline?: boolean;
  /** Allow XEP-0077 in-band registration (the xmpp driver's `register=1`). @default false */
  allowRegistration?: boolean;
  /** Extra Lua lines for the global section. @default [] */
  extraConfig?: string[];
  /**
   * Modules of the test's own, loaded beside the standard ones: name → Lua source, written to
   * `mod_<name>.lua` in a plugin directory of this server (e.g. a deliberately faulty server).
   * @default {}
   */
  plugins?: Record<string, string>;
  /** How long to wait for the c2s listener. @default 15000 */
  startTimeoutMs?: number;
}

export interface ProsodyServer {
  readonly host: '127.0.0.1';
  readonly port: number;
  readonly domain: string;
  /** `xmpp://127.0.0.1:PORT` */
  readonly url: string;
  readonly pid: number;
  readonly dataDir: string;
  readonly configFile: string;
  /** Everything Prosody logged so far. */
  log(): string;
  /** Creates (or changes the password of) an account; takes effect on the next login. */
  addUser(user: string, password: string): void;
  /** SIGTERM and wait for the exit. */
  stop(): Promise<void>;
  /** SIGKILL and wait for the exit. */
  kill(): Promise<void>;
  /** Start again on the same port, config and data (after stop or kill). */
  start(): Promise<void>;
  /** Stop (if running) and delete the temp dir. Safe to call twice. */
  dispose(): Promise<void>;
}

/** Prosody's datamanager file-name encoding: every non-word byte becomes %xx. */
function encodePathPart(s: string): string {
  return Buffer.from(s, 'utf8').reduce(
    (out, byte) =>
      out +
      (/\w/.test(String.fromCharCode(byte)) && byte < 128
        ? String.fromCharCode(byte)
        : `%${byte.toString(16).padStart(2, '0')}`),
    '',
  );
}

function luaString(s: string): string {
  return JSON.stringify(s);
}

export async function startProsody(options: ProsodyOptions = {}): Promise<ProsodyServer> {
  if (!existsSync(PROSODY)) {
    throw new Error(`${PROSODY} is missing: run .ci/run (or apt-get install prosody) to install it`);
  }
  const domain = options.domain ?? 'localhost';
  const dir = mkdtempSync(join(tmpdir(), 'imspec-prosody-'));
  const dataDir = join(dir, 'data');
  const accountsDir = join(dataDir, encodePathPart(domain), 'accounts');
  mkdirSync(accountsDir, { recursive: true });
  mkdirSync(join(dir, 'certs'));
  const account = serviceAccount('prosody');
  const own = (path: string): void => {
    if (account) chownSync(path, account.uid, account.gid);
  };
  for (const path of [dir, dataDir, join(dataDir, encodePathPart(domain)), accountsDir, join(dir, 'certs')])
    own(path);

  const addUser = (user: string, password: string): void => {
    // Prosody nodepreps usernames (lowercase) before looking the file up.
    const file = join(accountsDir, `${encodePathPart(user.toLowerCase())}.dat`);
    writeFileSync(file, `return {\n\t["password"] = ${luaString(password)};\n};\n`);
    own(file);
  };
  for (const [user, password] of Object.entries(options.users ?? {})) addUser(user, password);

  const modules = ['roster', 'saslauth', 'disco', 'ping', 'time', 'posix', 'smacks'];
  if (options.offline !== false) modules.push('offline');
  if (options.mam !== false) modules.push('mam');
  if (options.allowRegistration) modules.push('register');
  const plugins = Object.entries(options.plugins ?? {});
  const pluginDir = join(dir, 'plugins');
  if (plugins.length) {
    mkdirSync(pluginDir);
    own(pluginDir);
    for (const [name, source] of plugins) {
      writeFileSync(join(pluginDir, `mod_${name}.lua`), source);
      own(join(pluginDir, `mod_${name}.lua`));
      modules.push(name);
    }
  }
  const rate = options.rateLimit === undefined ? '100mb/s' : options.rateLimit;
  const lines = [
    `pidfile = ${luaString(join(dir, 'prosody.pid'))}`,
    `data_path = ${luaString(dataDir)}`,
    `certificates = ${luaString(join(dir, 'certs'))}`,
    'log = { { levels = { min = "info" }, to = "console" } }',
    'interfaces = { "127.0.0.1" }',
    'c2s_interfaces = { "127.0.0.1" }',
    's2s_ports = {}',
    'component_ports = {}',
    'http_ports = {}',
    'https_ports = {}',
    'c2s_direct_tls_ports = {}',
    'legacy_ssl_ports = {}',
    `admin_socket = ${luaString(join(dir, 'admin.sock'))}`,
    ...(plugins.length ? [`plugin_paths = { ${luaString(pluginDir)} }`] : []),
    `modules_enabled = { ${modules.map(luaString).join(', ')} }`,
    // No TLS here: loopback only, and no certificate for the test domain.
    'modules_disabled = { "s2s", "tls" }',
    'authentication = "internal_plain"',
    'storage = "internal"',
    'c2s_require_encryption = false',
    'allow_unencrypted_plain_auth = true',
    rate === false ? 'limits = {}' : `limits = { c2s = { rate = ${luaString(rate)}; burst = "2s" } }`,
    `smacks_hibernation_time = ${options.hibernationSeconds ?? 600}`,
    `allow_registration = ${options.allowRegistration === true}`,
    // Keep the archive for the whole run; the default query page limit (50) stays.
    'archive_expires_after = "never"',
    ...(options.extraConfig ?? []),
  ];
  const configFile = join(dir, 'prosody.cfg.lua');

  let port = 0;
  let child: ChildProcess | undefined;
  let output = '';
  const timeoutMs = options.startTimeoutMs ?? 15_000;

  const launch = async (): Promise<void> => {
    writeFileSync(
      configFile,
      [`c2s_ports = { ${port} }`, ...lines, `VirtualHost ${luaString(domain)}`, ''].join('\n'),
    );
    own(configFile);
    // -F: stay in the foreground so the pid we hold is the server's.
    const proc = spawnServer(PROSODY, ['--config', configFile, '-F'], account, dir);
    child = proc;
    // Only what this launch printed counts: the log of an earlier run already has the line.
    const from = output.length;
    await new Promise<void>((resolve, reject) => {
      const fail = (why: string): void => {
        clearTimeout(timer);
        proc.kill('SIGKILL');
        reject(new Error(`prosody ${why}:\n${output}`));
      };
      const timer = setTimeout(() => fail(`did not open its c2s port within ${timeoutMs} ms`), timeoutMs);
      const onData = (chunk: Buffer): void => {
        output += chunk.toString();
        if (output.includes('Failed to open server port', from)) fail(`could not bind 127.0.0.1:${port}`);
        else if (output.includes(`Activated service 'c2s' on [127.0.0.1]:${port}`, from)) {
          clearTimeout(timer);
          resolve();
        }
      };
      proc.stdout?.on('data', onData);
      proc.stderr?.on('data', onData);
      proc.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`prosody exited (${code ?? signal}) before listening:\n${output}`));
      });
    });
  };

  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    try {
      await launch();
      break;
    } catch (error) {
      if (attempt >= 3 || !output.includes('Failed to open server port')) {
        if (child) await waitExit(child, 'SIGKILL');
        rmSync(dir, { recursive: true, force: true });
        throw error;
      }
      if (child) await waitExit(child, 'SIGKILL');
      output = '';
    }
  }

  let disposed = false;
  return {
    host: '127.0.0.1',
    get port() {
      return port;
    },
    domain,
    get url() {
      return `xmpp://127.0.0.1:${port}`;
    },
    get pid() {
      return child?.pid ?? -1;
    },
    dataDir,
    configFile,
    log: () => output,
    addUser,
    stop: () => (child ? waitExit(child, 'SIGTERM') : Promise.resolve()),
    kill: () => (child ? waitExit(child, 'SIGKILL') : Promise.resolve()),
    start: async () => {
      if (child && child.exitCode === null && child.signalCode === null) return;
      await launch();
    },
    dispose: async () => {
      if (disposed) return;
      disposed = true;
      if (child) await waitExit(child, 'SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function waitExit(proc: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = once(proc, 'exit');
  proc.kill(signal);
  await exited;
}

// Preloaded into the server under test (`node --require test/security/recorder.cjs dist/cli.js --stdio`): wraps the
// APIs that run programs, open connections and touch files, and appends one JSON line per call to the file named by
// KFUNC_LSP_RECORD (in every thread: worker threads preload this too). The wrappers only record; the calls go on.
'use strict';
const fs = require('node:fs');
const { threadId } = require('node:worker_threads');

const out = process.env.KFUNC_LSP_RECORD;
if (out) {
  // One descriptor opened before fs is wrapped, and writeSync (never wrapped): recording does not record itself.
  // O_APPEND keeps the lines of several threads whole.
  const fd = fs.openSync(out, 'a');
  const writeSync = fs.writeSync.bind(fs);
  let busy = false;
  const record = (kind, api, target, extra) => {
    if (busy) return;
    busy = true;
    try {
      const line = JSON.stringify({ kind, api, target: target === undefined ? null : String(target), thread: threadId, ...extra });
      writeSync(fd, line + '\n');
    } catch {
      /* never disturb the server */
    } finally {
      busy = false;
    }
  };
  const pathOf = (p) => {
    if (typeof p === 'string') return p;
    if (Buffer.isBuffer(p)) return p.toString();
    if (p instanceof URL) return p.pathname;
    if (typeof p === 'number') return `fd:${p}`;
    return undefined;
  };
  const wrap = (obj, name, kind, describe) => {
    const orig = obj && obj[name];
    if (typeof orig !== 'function') return;
    const wrapped = function (...args) {
      record(kind, name, describe(args), {});
      return orig.apply(this, args);
    };
    Object.defineProperty(wrapped, 'name', { value: name });
    // Keep util.promisify.custom and friends working.
    for (const key of Reflect.ownKeys(orig)) {
      if (key === 'length' || key === 'name' || key === 'prototype') continue;
      try {
        Object.defineProperty(wrapped, key, Object.getOwnPropertyDescriptor(orig, key));
      } catch {
        /* ignore */
      }
    }
    obj[name] = wrapped;
  };

  // ---- programs ---------------------------------------------------------------------------------------------------
  const cp = require('node:child_process');
  for (const name of ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork']) {
    wrap(cp, name, 'process', (a) => `${a[0]} ${Array.isArray(a[1]) ? a[1].join(' ') : ''}`.trim());
  }
  // process.binding-level spawn (what child_process uses underneath) and process.dlopen (native code).
  wrap(process, 'dlopen', 'process', (a) => a[1]);

  // ---- network ----------------------------------------------------------------------------------------------------
  const net = require('node:net');
  wrap(net, 'connect', 'network', (a) => JSON.stringify(a[0]));
  wrap(net, 'createConnection', 'network', (a) => JSON.stringify(a[0]));
  wrap(net, 'createServer', 'network', () => 'server');
  wrap(net.Socket.prototype, 'connect', 'network', (a) => JSON.stringify(a[0]));
  wrap(net.Server.prototype, 'listen', 'network', (a) => JSON.stringify(a[0]));
  for (const mod of ['node:http', 'node:https', 'node:http2']) {
    const m = require(mod);
    for (const name of ['request', 'get', 'connect', 'createServer']) wrap(m, name, 'network', (a) => String(a[0] && (a[0].href ?? a[0].host ?? a[0])));
  }
  const dgram = require('node:dgram');
  wrap(dgram, 'createSocket', 'network', (a) => JSON.stringify(a[0]));
  const tls = require('node:tls');
  wrap(tls, 'connect', 'network', (a) => JSON.stringify(a[0]));
  const dns = require('node:dns');
  for (const name of ['lookup', 'resolve', 'resolve4', 'resolve6']) wrap(dns, name, 'network', (a) => a[0]);
  if (typeof globalThis.fetch === 'function') {
    const f = globalThis.fetch;
    globalThis.fetch = function fetch(...args) {
      record('network', 'fetch', String(args[0]), {});
      return f.apply(this, args);
    };
  }

  // ---- files ------------------------------------------------------------------------------------------------------
  const READS = ['readFileSync', 'readFile', 'readdirSync', 'readdir', 'opendirSync', 'opendir', 'createReadStream', 'readlinkSync', 'readlink'];
  const WRITES = [
    'writeFileSync', 'writeFile', 'appendFile', 'mkdirSync', 'mkdir', 'mkdtempSync', 'mkdtemp', 'renameSync', 'rename',
    'unlinkSync', 'unlink', 'rmSync', 'rm', 'rmdirSync', 'rmdir', 'copyFileSync', 'copyFile', 'cpSync', 'cp',
    'symlinkSync', 'symlink', 'linkSync', 'link', 'chmodSync', 'chmod', 'truncateSync', 'truncate', 'createWriteStream',
    'utimesSync', 'utimes',
  ];
  const STATS = ['statSync', 'stat', 'lstatSync', 'lstat', 'existsSync', 'realpathSync', 'realpath', 'accessSync', 'access'];
  const OPEN = ['openSync', 'open'];
  const flagsOf = (f) => (f === undefined ? 'r' : String(f));
  const writesFlags = (f) => /[wa+]/.test(flagsOf(f)) || (typeof f === 'number' && (f & 3) !== 0);
  const wrapFs = (target) => {
    for (const name of READS) wrap(target, name, 'read', (a) => pathOf(a[0]));
    for (const name of WRITES) wrap(target, name, 'write', (a) => pathOf(a[0]));
    for (const name of STATS) wrap(target, name, 'stat', (a) => pathOf(a[0]));
    for (const name of OPEN) {
      const orig = target[name];
      if (typeof orig !== 'function') continue;
      target[name] = function (...args) {
        record(writesFlags(args[1]) ? 'write' : 'read', name, pathOf(args[0]), {});
        return orig.apply(this, args);
      };
    }
  };
  wrapFs(fs);
  wrapFs(fs.promises);
  // ---- code ---------------------------------------------------------------------------------------------------------
  // Every module load (a server that ran workspace content would load or compile it) and the vm entry points.
  const Module = require('node:module');
  const load = Module._load;
  Module._load = function (request, ...rest) {
    record('module', 'require', request, {});
    return load.call(this, request, ...rest);
  };
  const vm = require('node:vm');
  for (const name of ['runInThisContext', 'runInNewContext', 'runInContext', 'compileFunction']) wrap(vm, name, 'code', (a) => String(a[0]).slice(0, 200));

  record('start', 'preload', process.argv.slice(1).join(' '), { pid: process.pid });
}

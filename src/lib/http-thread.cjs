'use strict';
/**
 * The HTTP request itself (see http-post.ts), in plain JavaScript: it runs on the calling thread or as the I/O
 * thread's code (a worker thread does not get the tsx loader the TypeScript runs under).
 */
const http = require('node:http');
const https = require('node:https');
const { isMainThread, parentPort, workerData } = require('node:worker_threads');

const agentOptions = { keepAlive: true, maxSockets: 128, maxFreeSockets: 64, scheduling: 'lifo' };
const agents = { 'http:': new http.Agent(agentOptions), 'https:': new https.Agent(agentOptions) };

/** POST `opts.body`, resolve { status, text }; the kept-alive race retried once for idempotent calls only. */
function post(url, opts, maxBytes) {
  const target = new URL(url);
  const once = () =>
    new Promise((resolve, reject) => {
      let answered = false;
      const mod = target.protocol === 'https:' ? https : http;
      // A string body goes out in the same write as the headers (a Buffer would be a second chunk: writev).
      const req = mod.request(
        target,
        {
          method: 'POST',
          agent: agents[target.protocol],
          headers: { ...opts.headers, 'content-length': String(Buffer.byteLength(opts.body, 'utf8')) },
        },
        (res) => {
          answered = true;
          const chunks = [];
          let size = 0;
          res.on('data', (c) => {
            size += c.length;
            if (size > maxBytes) req.destroy(new Error(`answer larger than ${maxBytes} bytes`));
            else chunks.push(c);
          });
          res.on('end', () => {
            clearTimeout(timer);
            resolve({ status: res.statusCode || 0, text: Buffer.concat(chunks).toString('utf8') });
          });
          res.on('error', fail);
        },
      );
      const timer = setTimeout(() => req.destroy(new Error(`timeout after ${opts.timeoutMs} ms`)), opts.timeoutMs);
      function fail(err) {
        clearTimeout(timer);
        if (!answered && req.reusedSocket && err.code === 'ECONNRESET') err.staleKeepAlive = true;
        reject(err);
      }
      req.on('error', fail);
      req.end(opts.body, 'utf8');
    });
  return once().catch((err) => {
    if (opts.idempotent && err.staleKeepAlive) return once();
    throw err;
  });
}

if (!isMainThread && workerData && workerData.daifaHttpThread) {
  parentPort.on('message', (m) => {
    post(m.url, m.opts, workerData.maxBytes).then(
      (r) => parentPort.postMessage({ id: m.id, status: r.status, text: r.text }),
      (err) =>
        parentPort.postMessage({
          id: m.id,
          error: { message: String((err && err.message) || err), code: err && err.code, staleKeepAlive: !!(err && err.staleKeepAlive) },
        }),
    );
  });
}

module.exports = { post };

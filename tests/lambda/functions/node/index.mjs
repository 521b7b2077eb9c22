// The Node.js test function (handler: index.handler), the same actions as the Python one
// (functions/python/handler.py): echo, whoami, exec (/usr/bin/id -u), read {path},
// connect {port}, child_read {path} (/usr/bin/cat PATH), init_result, fail. A blocked call
// shows as {"ok": false, "code": "EACCES" | "EPERM", "errno": N}. At module load (init) the
// actions in E2E_INIT_ACTIONS (JSON) run, top-level await included, before the runtime client
// asks for the first invocation.
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import net from "node:net";

function error(e) {
  return { ok: false, error: e.name || "Error", code: e.code, errno: e.errno };
}

function doExec() {
  try {
    execFileSync("/usr/bin/id", ["-u"], { stdio: ["ignore", "pipe", "pipe"] });
    return { ok: true, rc: 0 };
  } catch (e) {
    if (typeof e.status === "number") return { ok: true, rc: e.status }; // it ran
    return error(e);
  }
}

function doChildRead(path) {
  const r = spawnSync("/usr/bin/cat", [path], { stdio: ["ignore", "pipe", "pipe"] });
  if (r.error) return error(r.error);
  return { ok: r.status === 0, rc: r.status };
}

function doRead(path) {
  try {
    return { ok: true, bytes: readFileSync(path).length };
  } catch (e) {
    return error(e);
  }
}

function doConnect(port) {
  return new Promise((resolve) => {
    const s = net.connect({ host: "127.0.0.1", port: Number(port) });
    s.setTimeout(5000, () => { s.destroy(); resolve({ ok: false, error: "Timeout" }); });
    s.on("connect", () => { s.destroy(); resolve({ ok: true }); });
    s.on("error", (e) => resolve(error(e)));
  });
}

async function perform(event, context) {
  switch (event.action) {
    case "echo": return event;
    case "whoami":
      return { requestId: context && context.awsRequestId, traceEnv: process.env._X_AMZN_TRACE_ID,
               function: context && context.functionName };
    case "exec": return doExec();
    case "read": return doRead(event.path);
    case "connect": return doConnect(event.port);
    case "child_read": return doChildRead(event.path);
    case "init_result": return initResults;
    case "fail": throw new Error(event.message || "failed on purpose");
    default: return { ok: false, error: "unknown action " + event.action };
  }
}

const initResults = [];
for (const a of JSON.parse(process.env.E2E_INIT_ACTIONS || "[]")) {
  initResults.push(await perform(a));
}

export const handler = async (event, context) => perform(event, context);

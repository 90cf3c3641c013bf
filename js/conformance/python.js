/**
 * The Python side of the conformance tests: the `fsm` command line (transcripts from `fsm paths`, a fresh
 * `fsm export`) and the JSON-RPC bridge (`fsm serve --stdio`) as a child process.
 * The Python is `$FSM_PYTHON` (run as `python -m fsm`), else the repository's `.venv/bin/python`.
 * @module
 */

import { spawn, execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);

/** The repository's root (js/ is one of its directories). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** The Python interpreter that has fsm installed. */
export function python() {
  const given = process.env.FSM_PYTHON;
  if (given) return given.includes("/") ? resolve(given) : given; // a path is the caller's, a name the PATH's
  const venv = join(ROOT, ".venv", "bin", "python");
  if (!existsSync(venv)) throw new Error("no Python for the conformance tests: set FSM_PYTHON or run ./dev test once");
  return venv;
}

/** Run `python -m fsm ARGS`; its standard output. */
export async function fsm(args) {
  const { stdout } = await run(python(), ["-m", "fsm", ...args], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

/** The committed exports (`export/<flow>.json`), by flow name. */
export function committedExports() {
  const dir = join(ROOT, "export");
  return Object.fromEntries(readdirSync(dir).filter((f) => f.endsWith(".json") && f !== "schema.json")
    .map((f) => [f.slice(0, -5), JSON.parse(readFileSync(join(dir, f), "utf8"))]));
}

/** A fresh `fsm export` into a temporary directory: file name -> text. */
export async function freshExport() {
  const dir = mkdtempSync(join(tmpdir(), "fsm-export-"));
  try {
    await fsm(["export", "--out", dir]);
    return Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f), "utf8")]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A variant's options as `fsm paths` flags. */
function flags(options) {
  return Object.entries(options).flatMap(([k, v]) => [`--${k.replace(/_/g, "-")}`, String(v)]);
}

/**
 * Every transcript `fsm paths` writes for `flows` under each of `variants` (options objects), made now.
 * @param {string[]} flows
 * @param {Record<string, string|number>[]} variants
 * @returns {Promise<{file: string, variant: number, transcript: any}[]>}
 */
export async function transcripts(flows, variants) {
  const dir = mkdtempSync(join(tmpdir(), "fsm-paths-"));
  try {
    const jobs = variants.flatMap((options, v) => flows.map((flow) => ({ flow, v, options })));
    const lanes = Math.max(1, Math.min(4, availableParallelism()));
    let next = 0;
    await Promise.all(Array.from({ length: lanes }, async () => {
      while (next < jobs.length) {
        const { flow, v, options } = jobs[next++];
        await fsm(["paths", flow, "--out", join(dir, String(v)), ...flags(options)]);
      }
    }));
    const out = [];
    for (let v = 0; v < variants.length; v++) {
      const sub = join(dir, String(v));
      for (const file of readdirSync(sub).sort()) {
        out.push({ file: `${v}/${file}`, variant: v, transcript: JSON.parse(readFileSync(join(sub, file), "utf8")) });
      }
    }
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * `fsm serve --stdio` as a child process: `call(method, params)` sends one request line and resolves with its
 * response (`{result}` or `{error}`); `stderr` collects what it wrote there (it should write nothing).
 */
export class Bridge {
  constructor() {
    this.child = spawn(python(), ["-m", "fsm", "serve", "--stdio"], { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"] });
    this.stderr = "";
    this.child.stderr.setEncoding("utf8");
    this.child.stderr.on("data", (d) => { this.stderr += d; });
    this.pending = [];
    this.id = 0;
    this.lines = createInterface({ input: this.child.stdout });
    this.lines.on("line", (line) => {
      const waiting = this.pending.shift();
      if (waiting) waiting(line);
    });
  }

  /** Send one raw line; resolve with the raw response line. */
  raw(line) {
    return new Promise((done) => {
      this.pending.push(done);
      this.child.stdin.write(`${line}\n`);
    });
  }

  /** Call `method` with `params`; resolve with the parsed response. */
  async call(method, params) {
    const id = ++this.id;
    const response = JSON.parse(await this.raw(JSON.stringify({ jsonrpc: "2.0", id, method, params })));
    if (response.id !== id) throw new Error(`the bridge answered id ${response.id} to request ${id}`);
    return response;
  }

  /** Call `method`; its result, or throw its error. */
  async result(method, params) {
    const response = await this.call(method, params);
    if (response.error) throw Object.assign(new Error(response.error.message), { rpc: response.error });
    return response.result;
  }

  /** Close standard input and wait for the bridge to exit; its exit code. */
  close() {
    return new Promise((done) => {
      this.child.on("exit", (code) => done(code));
      this.child.stdin.end();
    });
  }
}

/**
 * Values for `new` without an editor, never from the command line itself:
 * `--from-env-file FILE` and `--stdin` (KEY=VALUE lines, as kubectl's
 * --from-env-file reads them: values taken literally, `#` lines and blank
 * lines skipped) and `--from-file KEY=PATH` (the file's bytes; KEY defaults
 * to the file's base name). Errors name the source, a line number and a key,
 * never a value.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { UsageError } from "../errors.js";

const KEY = /^[-._a-zA-Z0-9]+$/;

export function checkKey(key: string, where: string): void {
  if (!KEY.test(key) || key.length > 253) {
    throw new UsageError(
      `${where}: "${key}" is not a valid Secret key (letters, digits, '-', '_' and '.')`,
    );
  }
}

export function parseEnvLines(text: string, source: string): Array<[string, Buffer]> {
  const out: Array<[string, Buffer]> = [];
  const lines = text.replace(/^\uFEFF/, "").split("\n");
  lines.forEach((raw, i) => {
    const line = (raw.endsWith("\r") ? raw.slice(0, -1) : raw).replace(/^\s+/, "");
    if (line === "" || line.startsWith("#")) return;
    const eq = line.indexOf("=");
    if (eq <= 0) throw new UsageError(`${source}: line ${i + 1} is not KEY=VALUE`);
    const key = line.slice(0, eq).trimEnd();
    checkKey(key, `${source}: line ${i + 1}`);
    out.push([key, Buffer.from(line.slice(eq + 1), "utf8")]);
  });
  return out;
}

export async function readEnvFile(file: string, cwd: string): Promise<Array<[string, Buffer]>> {
  let text: string;
  try {
    text = await readFile(path.resolve(cwd, file), "utf8");
  } catch (e) {
    throw new UsageError(
      `--from-env-file: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? "error"})`,
    );
  }
  return parseEnvLines(text, file);
}

export async function readFromFile(spec: string, cwd: string): Promise<[string, Buffer]> {
  const eq = spec.indexOf("=");
  const key = eq > 0 ? spec.slice(0, eq) : path.basename(spec);
  const file = eq > 0 ? spec.slice(eq + 1) : spec;
  if (file === "") throw new UsageError(`--from-file ${spec}: expected KEY=PATH`);
  checkKey(key, `--from-file ${spec}`);
  try {
    return [key, await readFile(path.resolve(cwd, file))];
  } catch (e) {
    throw new UsageError(
      `--from-file: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? "error"})`,
    );
  }
}

export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c));
  return Buffer.concat(chunks).toString("utf8");
}

/** Merge sources; a key given twice is an error (naming the key only). */
export function mergeValues(lists: Array<Array<[string, Buffer]>>): Map<string, Buffer> {
  const m = new Map<string, Buffer>();
  for (const list of lists) {
    for (const [k, v] of list) {
      if (m.has(k)) throw new UsageError(`key "${k}" is given more than once`);
      m.set(k, v);
    }
  }
  return m;
}

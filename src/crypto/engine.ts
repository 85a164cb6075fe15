/**
 * Encryption engines behind one interface: the `sops` binary when it is on
 * PATH (resolved from PATH only, never from inside the repository), else the
 * native age engine. The sops engine runs on the content it is given, with
 * the rule and format of the file's real path (`--filename-override`,
 * explicit input/output types), and without the environment variables that
 * would silently replace the rule's keys.
 */
import { execFile } from "node:child_process";
import { accessSync, constants } from "node:fs";
import path from "node:path";
import { CryptoError, UsageError } from "../errors.js";
import type { CreationRule, Format } from "../types.js";

export type EngineName = "auto" | "sops" | "native";

export interface EncryptRequest {
  bytes: Uint8Array;
  /** Absolute path the content belongs to (the rule and format apply to it). */
  absPath: string;
  format: Format;
  rule: CreationRule;
  /** The `.sops.yaml` the rule came from. */
  configPath: string;
  /** Existing data key, for encrypting only the plaintext values of an encrypted file. */
  existingDataKey?: Buffer;
}

export interface Engine {
  name: "sops" | "native";
  encrypt(req: EncryptRequest): Promise<Buffer>;
}

/** Variables that make sops ignore the rule's keys (sops-format §1.5). */
export const KEY_OVERRIDE_VARS = [
  "SOPS_AGE_RECIPIENTS",
  "SOPS_PGP_FP",
  "SOPS_KMS_ARN",
  "SOPS_GCP_KMS_IDS",
  "SOPS_AZURE_KEYVAULT_URLS",
  "SOPS_VAULT_URIS",
  "SOPS_HUAWEICLOUD_KMS_IDS",
];

/** `sops` from PATH, skipping relative entries and anything inside `untrusted` (the repository). */
export function findSops(env: NodeJS.ProcessEnv, untrusted?: string): string | undefined {
  for (const dir of (env.PATH ?? "").split(path.delimiter)) {
    if (!dir || !path.isAbsolute(dir)) continue;
    if (untrusted && (dir === untrusted || dir.startsWith(untrusted + path.sep))) continue;
    const candidate = path.join(dir, "sops");
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

function sopsType(format: Format): string {
  return format === "binary" ? "binary" : format;
}

export function sopsEngine(bin: string, env: NodeJS.ProcessEnv): Engine {
  return {
    name: "sops",
    encrypt(req) {
      if (req.existingDataKey) {
        return Promise.reject(
          new CryptoError(
            "the sops engine cannot add values to an encrypted file; run `sops edit`",
          ),
        );
      }
      const clean: NodeJS.ProcessEnv = { ...env };
      for (const v of KEY_OVERRIDE_VARS) delete clean[v];
      const type = sopsType(req.format);
      const args = [
        "encrypt",
        "--config",
        req.configPath,
        "--filename-override",
        req.absPath,
        "--input-type",
        type,
        "--output-type",
        type,
      ];
      return new Promise((resolve, reject) => {
        const child = execFile(
          bin,
          args,
          {
            env: clean,
            encoding: "buffer",
            maxBuffer: 64 * 1024 * 1024,
            cwd: path.dirname(req.configPath),
          },
          (err, stdout, stderr) => {
            if (err) {
              // sops may print the value it choked on: show only its exit status.
              const code = (err as NodeJS.ErrnoException & { code?: unknown }).code;
              reject(
                new CryptoError(
                  `sops failed to encrypt ${path.basename(req.absPath)} (exit ${typeof code === "number" ? code : "error"}; its output is withheld because it may contain values)`,
                  `run it yourself to see why: sops encrypt --filename-override ${req.absPath} < FILE`,
                ),
              );
              void stderr;
              return;
            }
            resolve(stdout as Buffer);
          },
        );
        // sops may exit before reading all of its input: that is its error to report, not a crash.
        child.stdin?.on("error", () => {});
        child.stdin?.end(Buffer.from(req.bytes));
      });
    },
  };
}

export async function nativeEngine(): Promise<Engine> {
  const { encryptNative } = await import("./encrypt.js");
  return {
    name: "native",
    encrypt: (req) =>
      encryptNative(
        req.bytes,
        req.format,
        req.rule,
        req.existingDataKey ? { existing: { dataKey: req.existingDataKey } } : {},
      ),
  };
}

export async function pickEngine(
  name: EngineName,
  env: NodeJS.ProcessEnv,
  repoTop?: string,
): Promise<Engine> {
  if (name !== "auto" && name !== "sops" && name !== "native") {
    throw new UsageError(`--engine must be auto, sops or native (got "${String(name)}")`);
  }
  if (name === "native") return nativeEngine();
  const bin = findSops(env, repoTop);
  if (bin) return sopsEngine(bin, env);
  if (name === "sops")
    throw new CryptoError(
      "--engine sops: no sops binary on PATH",
      "install sops: https://github.com/getsops/sops/releases",
    );
  return nativeEngine();
}

/** True when the environment carries key overrides the guard removed before running sops. */
export function overriddenVars(env: NodeJS.ProcessEnv): string[] {
  return KEY_OVERRIDE_VARS.filter((v) => env[v]);
}

/**
 * `secret-guard new ENV NAME`: the seed's scripts/sops-encrypt-secret.sh,
 * without its hazards.
 *
 * - Like `sops edit`: saving in the editor encrypts, an unchanged or emptied
 *   template cancels; there is no question after the editor. Values given
 *   with --from-env-file, --from-file or --stdin need no terminal at all
 *   (--yes is accepted and ignored, for old scripts) and stay in memory.
 * - The plaintext never touches the repository: the template (or, for an
 *   existing secret, its decrypted content) is edited in a private folder on
 *   a RAM-backed file system where there is one (0700, file 0600, named
 *   NAME.yaml), removed on every exit path including a signal while the
 *   editor is open (src/scaffold/private.ts); the editor is started without
 *   its history, undo, swap and backup files (src/scaffold/terminal.ts).
 * - ENV must be an existing flux/secrets/ENV/ folder, NAME a Kubernetes name;
 *   the covering creation rule and the engine are checked before the editor
 *   opens, so nobody types secrets that cannot then be encrypted.
 * - An existing secret is edited like `sops edit`: decrypted with the local
 *   identity, re-encrypted under the same data key, unchanged values keep
 *   their ciphertexts; no change writes nothing.
 * - The result is checked (judge) and written atomically; the folder's
 *   kustomization.yaml lists it (a `# - NAME.yaml` line uncommented; created
 *   when missing and the folder holds no other manifest, which Flux would
 *   otherwise stop applying). Then the exact next steps are printed, and a
 *   warning when a kustomization.yaml above still leaves it out.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { type Document, isMap, parseDocument } from "yaml";
import { judge } from "../core/judge.js";
import { ConfigError, CryptoError, GuardError, UsageError } from "../errors.js";
import { repoInfo } from "../git/repo.js";
import { loadPolicy, ruleFor } from "../policy/index.js";
import { checkTarget, SECRETS_DIR, shq } from "../scaffold/names.js";
import {
  buildSecret,
  checkSecret,
  editHeader,
  invalidNamespace,
  invalidType,
  newTemplate,
  setValues,
  stripInstructions,
  YAML_OUT,
} from "../scaffold/template.js";
import { looksSopsEncrypted } from "../sops/detect.js";
import type { CreationRule } from "../types.js";
import type { CommandResult, Io, ParsedArgs } from "./context.js";

async function readOr(p: string): Promise<Buffer | undefined> {
  try {
    return await readFile(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new GuardError(`cannot read ${p} (${(e as NodeJS.ErrnoException).code ?? "error"})`);
  }
}

function ruleText(rule: CreationRule): string {
  return `creation_rules[${rule.index}]${rule.pathRegex ? ` (path_regex ${rule.pathRegex})` : ""}`;
}

const str = (v: unknown) => (typeof v === "string" ? v : undefined);

export async function newCommand(args: ParsedArgs, io: Io): Promise<CommandResult> {
  const [envName, name, ...extra] = args.positionals;
  if (!envName || !name || extra.length > 0) {
    throw new UsageError("usage: secret-guard new ENV NAME", "run `secret-guard new --help`");
  }
  const v = args.values;
  const cwd = path.resolve(io.cwd, str(v.cwd) ?? ".");
  const top = (await repoInfo(cwd, { env: io.env })).topLevel;
  await checkTarget(top, envName, name);
  const nsFlag = str(v.namespace);
  const typeFlag = str(v.type);
  if (nsFlag !== undefined) {
    const why = invalidNamespace(nsFlag);
    if (why) throw new UsageError(`--namespace: ${why}`);
  }
  if (typeFlag !== undefined) {
    const why = invalidType(typeFlag);
    if (why) throw new UsageError(`--type: ${why}`);
  }
  const folderRel = `${SECRETS_DIR}/${envName}`;
  const rel = `${folderRel}/${name}.yaml`;
  const abs = path.join(top, ...rel.split("/"));
  const kzAbs = path.join(top, ...folderRel.split("/"), "kustomization.yaml");
  const shown = (p: string) => path.relative(cwd, p) || p;

  const policy = loadPolicy({ cwd, configPath: str(v.config), env: io.env });
  if (!policy?.hasCreationRules) {
    throw new ConfigError(
      "no .sops.yaml with creation_rules found from here upward",
      "create one with `secret-guard init`",
    );
  }
  const rule = ruleFor(policy, abs);
  if (!rule) {
    throw new ConfigError(
      `no creation rule in ${shown(policy.configPath)} covers ${rel}: sops would refuse to encrypt it`,
      "add a rule for this folder (see `secret-guard init`)",
    );
  }

  // Values without an editor: never from the command line itself.
  const fromEnvFile = str(v["from-env-file"]);
  const fromFiles = Array.isArray(v["from-file"]) ? (v["from-file"] as string[]) : [];
  const fromStdin = v.stdin === true;
  const scripted = fromEnvFile !== undefined || fromFiles.length > 0 || fromStdin;

  const existing = await readOr(abs);
  const engineName = str(v.engine) ?? "auto";
  if (existing && engineName === "sops") {
    throw new UsageError(
      "--engine sops cannot edit an existing secret (keeping its data key needs the native engine)",
      `use \`sops edit ${shown(abs)}\``,
    );
  }
  // Fail before anything is typed: the kustomization must be editable, the engine usable.
  const { addResource, otherManifests } = await import("../scaffold/kustomization.js");
  const kzBefore = (await readOr(kzAbs))?.toString("utf8");
  // No kustomization.yaml: Flux generates one from every manifest of the folder. Creating one
  // that lists only this Secret would stop the others from being applied.
  const others =
    kzBefore === undefined ? await otherManifests(path.dirname(kzAbs), `${name}.yaml`) : [];
  if (kzBefore !== undefined) addResource(kzBefore, `${name}.yaml`);
  const { pickEngine } = await import("../crypto/engine.js");
  const engine = existing ? undefined : await pickEngine(engineName as "auto", io.env, top);
  if (engine?.name === "native") {
    const { nativeRefusal } = await import("../crypto/encrypt.js");
    const why = nativeRefusal(rule, "yaml");
    if (why) {
      throw new CryptoError(
        `cannot encrypt ${rel}: ${why}`,
        "install sops (https://github.com/getsops/sops) and run with --engine sops",
      );
    }
  }

  let session: import("../scaffold/reencrypt.js").EditSession | undefined;
  if (existing) {
    if (!looksSopsEncrypted(existing, "yaml")) {
      throw new GuardError(
        `${rel} exists and is not sops-encrypted`,
        `encrypt it first: secret-guard encrypt ${shq(shown(abs))}`,
      );
    }
    const { loadIdentities } = await import("../crypto/identities.js");
    const { openForEdit } = await import("../scaffold/reencrypt.js");
    const ids = await loadIdentities(io.env);
    if (ids.identities.length === 0) {
      throw new CryptoError(
        `${rel} exists; editing it needs an age identity that opens it, and none was found`,
        "set SOPS_AGE_KEY_FILE (or put the key in ~/.config/sops/age/keys.txt)",
      );
    }
    session = await openForEdit(existing, ids.identities);
  }

  const { askTerminal } = await import("../scaffold/terminal.js");
  let plain = "";
  let notes: string[] = [];
  let namespace = nsFlag ?? envName;
  let keys: string[] = [];

  if (scripted) {
    const values = await import("../scaffold/values.js");
    const lists: Array<Array<[string, Buffer]>> = [];
    if (fromEnvFile !== undefined) lists.push(await values.readEnvFile(fromEnvFile, cwd));
    for (const spec of fromFiles) lists.push([await values.readFromFile(spec, cwd)]);
    if (fromStdin) {
      if (process.stdin.isTTY) {
        io.stderr("secret-guard: reading KEY=VALUE lines from standard input (end with Ctrl-D)\n");
      }
      lists.push(values.parseEnvLines(await values.readStdin(), "standard input"));
    }
    const merged = values.mergeValues(lists);
    if (merged.size === 0) throw new UsageError("no values given (the sources are empty)");
    if (session) {
      const failsafe = { schema: "failsafe", prettyErrors: false } as const;
      const doc = parseDocument(session.rendered, failsafe);
      if (!isMap(doc.contents)) throw new GuardError(`${rel} is not a YAML mapping`);
      setValues(doc as unknown as Document, merged);
      if (nsFlag !== undefined) doc.setIn(["metadata", "namespace"], nsFlag);
      if (typeFlag !== undefined) doc.set("type", typeFlag);
      plain = doc.toString(YAML_OUT);
      const same =
        JSON.stringify(parseDocument(plain, failsafe).toJSON()) === JSON.stringify(doc.toJSON()) &&
        JSON.stringify(doc.toJSON()) ===
          JSON.stringify(parseDocument(session.rendered, failsafe).toJSON());
      if (same) {
        return {
          exitCode: 0,
          output: `- ${rel}: no changes (the values are the same); nothing written\n`,
        };
      }
    } else {
      plain = buildSecret(name, namespace, merged, typeFlag);
    }
    const check = checkSecret(plain, name);
    if (check.errors.length > 0) {
      return { exitCode: 1, output: `${check.errors.map((e) => `✖ ${e}`).join("\n")}\n` };
    }
    notes = check.notes;
    namespace = check.namespace ?? namespace;
    keys = check.keys;
  } else {
    const { makePrivateFile } = await import("../scaffold/private.js");
    const { editorFor, editorPlan, runEditor } = await import("../scaffold/terminal.js");
    const editor = editorFor(io.env);
    const plan = editorPlan(editor, io.env);
    const pf = await makePrivateFile(`${name}.yaml`, io.env);
    try {
      let initial: string;
      if (session) {
        initial = `${editHeader(rel, ruleText(rule))}${session.rendered}`;
      } else {
        initial = newTemplate({
          name,
          namespace,
          type: typeFlag,
          target: rel,
          ruleText: ruleText(rule),
        });
      }
      const baseline = stripInstructions(initial);
      await pf.write(initial);
      io.stderr(
        `secret-guard: ${session ? "editing" : "creating"} ${rel} in ${editor}\n` +
          `  the plaintext stays in ${pf.dir}\n` +
          `  (private${pf.ram ? ", in memory" : ""}, deleted on exit); save and quit to encrypt\n`,
      );
      for (const n of plan.notes) io.stderr(`note: ${n}\n`);
      for (;;) {
        const out = await runEditor(editor, plan, pf.file, io.env, (c) => pf.setChild(c));
        pf.setChild(undefined);
        if (out.error || out.code !== 0) {
          const how = out.error
            ? `could not be started (${out.error})`
            : out.signal
              ? `was stopped by ${out.signal}`
              : `exited with status ${out.code}`;
          return {
            exitCode: 1,
            output: `✖ the editor (${editor}) ${how}; nothing was written and the plaintext copy was deleted\n`,
          };
        }
        const raw = await readOr(pf.file);
        const edited = stripInstructions(raw?.toString("utf8") ?? "");
        if (edited.trim() === "") {
          return { exitCode: 1, output: "✖ the file is empty: cancelled, nothing was written\n" };
        }
        if (edited === baseline) {
          return session
            ? { exitCode: 0, output: `- ${rel}: no changes; nothing written\n` }
            : {
                exitCode: 1,
                output: "✖ the template was not changed: cancelled, nothing was written\n",
              };
        }
        const check = checkSecret(edited, name);
        if (check.errors.length === 0) {
          plain = edited;
          notes = check.notes;
          namespace = check.namespace ?? namespace;
          keys = check.keys;
          break;
        }
        io.stderr(`${check.errors.map((e) => `✖ ${e}`).join("\n")}\n`);
        const again = await askTerminal("Open the editor again to fix it? [Y/n] ", io.env);
        if (answerNo(again)) {
          return {
            exitCode: 1,
            output:
              "✖ the Secret is not valid: cancelled, nothing was written and the plaintext copy was deleted\n",
          };
        }
      }
    } finally {
      await pf.dispose();
    }
  }

  // Encrypt, check, write.
  const { writeAtomic } = await import("../fsutil.js");
  let out: Buffer;
  let how: string;
  try {
    if (session) {
      const { sealEdited } = await import("../scaffold/reencrypt.js");
      const sealed = await sealEdited(plain, session, rule);
      out = sealed.bytes;
      how = `re-encrypted under its own data key: ${sealed.kept} value${sealed.kept === 1 ? "" : "s"} unchanged (ciphertext kept), ${sealed.changed} new or changed`;
    } else {
      out = await engine!.encrypt({
        bytes: Buffer.from(plain, "utf8"),
        absPath: abs,
        format: "yaml",
        rule,
        configPath: policy.configPath,
      });
      how = `encrypted with ${ruleText(rule)} (${engine!.name} engine)`;
    }
    const j = judge({ path: rel, bytes: out, rule });
    if (j.findings.some((f) => f.severity === "error")) {
      throw new GuardError("the encrypted result does not satisfy the rule");
    }
    const kzText = (await readOr(kzAbs))?.toString("utf8");
    const kz =
      kzText === undefined && others.length > 0
        ? { text: "", action: "generated" as const }
        : addResource(kzText, `${name}.yaml`);
    if (!session && (await readOr(abs)) !== undefined) {
      throw new GuardError(`${rel} appeared while you were editing`);
    }
    await writeAtomic(abs, out);
    const lines = [`✔ ${rel}: ${how}; keys: ${keys.join(", ") || "none"}`];
    const kzRel = `${folderRel}/kustomization.yaml`;
    try {
      if (kz.action !== "unchanged" && kz.action !== "generated") {
        await writeAtomic(kzAbs, Buffer.from(kz.text, "utf8"));
      }
    } catch (e) {
      lines.push(
        `✖ ${kzRel}: could not be updated (${(e as NodeJS.ErrnoException).code ?? (e as Error).name}); add "- ${name}.yaml" to its resources by hand`,
      );
      return { exitCode: 1, output: `${lines.join("\n")}\n` };
    }
    lines.push(
      {
        created: `✔ ${kzRel}: created, listing ${name}.yaml`,
        uncommented: `✔ ${kzRel}: ${name}.yaml uncommented in resources`,
        added: `✔ ${kzRel}: ${name}.yaml added to resources`,
        unchanged: `- ${kzRel}: already lists ${name}.yaml`,
        generated: `- ${folderRel}/: no kustomization.yaml, other manifests: none created (Flux applies them all)`,
      }[kz.action],
    );
    const { coverageProblems, diskKustomizations } = await import("../scaffold/coverage.js");
    const warnings: string[] = [];
    for (const p of await coverageProblems(top, [rel], diskKustomizations(top))) {
      warnings.push(`warning: ${p.message}`, `  fix: ${p.fix}`);
    }
    for (const n of notes) lines.push(`note: ${n}`);
    const { fluxKustomizationFor } = await import("../scaffold/flux.js");
    const flux = await fluxKustomizationFor(top, folderRel, io.env).catch(() => undefined);
    const kzChanged = kz.action !== "unchanged" && kz.action !== "generated";
    const addPaths = [abs, ...(kzChanged ? [kzAbs] : [])].map((p) => shq(shown(p))).join(" ");
    const msg = `${session ? "Update" : "Add"} ${name} for ${envName}`;
    lines.push(
      "",
      "Next steps:",
      `  git add ${addPaths}`,
      `  git commit -m ${shq(msg)}`,
      "  git push",
      flux
        ? `  flux reconcile kustomization ${shq(flux.name)}${flux.namespace && flux.namespace !== "flux-system" ? ` -n ${shq(flux.namespace)}` : ""} --with-source   # ${flux.file}`
        : `  flux reconcile kustomization <name> --with-source   # the Flux Kustomization that applies ${folderRel} (none found in this repository)`,
      `  kubectl -n ${shq(namespace)} get secret ${shq(name)}`,
    );
    return { exitCode: 0, output: `${lines.join("\n")}\n`, warnings };
  } catch (e) {
    const reason =
      e instanceof GuardError ? e.message : `unexpected error (${(e as Error)?.name ?? "Error"})`;
    const hint = e instanceof GuardError && e.hint ? `\n  ${e.hint}` : "";
    return {
      exitCode: 1,
      output: `✖ ${rel}: ${reason}; nothing was written${existing ? " (the file is unchanged)" : ""}${hint}\n`,
    };
  }
}

function answerNo(a: string | undefined): boolean {
  return a === undefined || /^\s*n(o)?\s*$/i.test(a);
}

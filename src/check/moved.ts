/**
 * A decrypted copy added under another name, in a commit that deletes the
 * encrypted file (git sees delete + add when the content changed too much for
 * its rename detection, which decrypting always does to a small file). Such an
 * added file is paired with the deleted encrypted one, which then plays the
 * part of HEAD's version: `encryption-removed` judges the pair as it judges a
 * rename. Staged mode only; nothing is read unless the commit deletes a
 * sops-encrypted file.
 *
 * The pair: every value the encrypted file holds as `ENC[...]` is, at the same
 * key path, a plaintext value in the added file (not empty, not a substitution
 * or reference). A single top-level key (`password=ENC[...]`) is too weak a
 * likeness on its own: it also needs the same file name, as a binary envelope
 * (whose plaintext has no keys to compare) always does. Decided on parsed
 * content, never on raw text.
 */
import { isExemptValue } from "../core/exempt.js";
import { hasSopsMetadata, looksSopsEncrypted, looksSopsEncryptedAny } from "../sops/detect.js";
import { encState } from "../sops/enc.js";
import { formatForPath } from "../sops/formats.js";
import { parseFile } from "../sops/parse.js";
import type { ParsedFile } from "../sops/tree.js";
import { walkLeaves } from "../sops/walk.js";
import type { SourceList } from "../sources/index.js";
import type { Format } from "../types.js";

interface Encrypted {
  path: string;
  blobId: string;
  format: Format;
  /** Key paths (joined with NUL) whose value is an ENC value. */
  encPaths: string[];
}

const SEP = "\u0000";
const FORMATS: readonly Format[] = ["yaml", "json", "dotenv", "ini", "binary"];

/** `secret.enc.yaml`, `x.sops.json` → `secret.yaml`, `x.json`: the name without sops' markers. */
function plainName(p: string): string {
  const base = p.slice(p.lastIndexOf("/") + 1).toLowerCase();
  return base.replace(/\.(enc|sops|encrypted)(?=\.|$)/g, "");
}

function tryParse(bytes: Uint8Array, format: Format): ParsedFile | undefined {
  try {
    return parseFile(bytes, format);
  } catch {
    return undefined;
  }
}

/** The deleted file, read as sops wrote it: its store and the paths of its ENC values. */
function profile(path: string, blobId: string, bytes: Buffer): Encrypted | undefined {
  if (!looksSopsEncryptedAny(bytes)) return undefined;
  const byName = formatForPath(path);
  const order = [byName, ...FORMATS.filter((f) => f !== byName)];
  for (const format of order) {
    if (format !== "binary" && !looksSopsEncrypted(bytes, format)) continue;
    const parsed = tryParse(bytes, format);
    if (!parsed?.docs.some((d) => d.metadata !== undefined)) continue;
    const encPaths: string[] = [];
    for (const d of parsed.docs)
      for (const v of walkLeaves(d.root)) {
        const t = v.leaf.str ?? v.leaf.plain.toString("utf8");
        if (v.leaf.type === "str" && encState(t) === "encrypted") encPaths.push(v.path.join(SEP));
      }
    if (encPaths.length > 0) return { path, blobId, format, encPaths: [...new Set(encPaths)] };
  }
  return undefined;
}

/** The key paths of an added file holding plaintext values, per store it is read with (parsed once each). */
type PlainPaths = (format: Format) => Set<string> | undefined;

function plainPathsOf(bytes: Buffer): PlainPaths {
  const cache = new Map<Format, Set<string> | undefined>();
  return (format) => {
    if (!cache.has(format)) {
      const parsed = tryParse(bytes, format);
      let set: Set<string> | undefined;
      if (parsed) {
        set = new Set();
        for (const d of parsed.docs)
          for (const v of walkLeaves(d.root)) {
            const t = v.leaf.str ?? v.leaf.plain.toString("utf8");
            if (v.leaf.plain.length === 0 || isExemptValue(t) || encState(t) !== "plaintext")
              continue;
            set.add(v.path.join(SEP));
          }
      }
      cache.set(format, set);
    }
    return cache.get(format);
  };
}

/** Does this added (plaintext) content carry the encrypted file's values in the clear? */
function isDecryptedCopy(addedPath: string, plain: PlainPaths, enc: Encrypted): boolean {
  const sameName = plainName(addedPath) === plainName(enc.path);
  if (enc.format === "binary") return sameName;
  const weak = enc.encPaths.length === 1 && !enc.encPaths[0]!.includes(SEP);
  if (weak && !sameName) return false;
  const own = formatForPath(addedPath);
  for (const format of own === enc.format ? [own] : [own, enc.format]) {
    const paths = plain(format);
    if (paths && enc.encPaths.every((p) => paths.has(p))) return true;
  }
  return false;
}

/**
 * Pair each added file that is not sops-encrypted with an encrypted file the
 * same commit deletes, when it is its decrypted copy: the added file then has
 * the deleted blob as its HEAD version (headBlobId, readHead, oldPath).
 */
export async function pairDecryptedCopies(
  sources: SourceList,
  debug: (line: string) => void = () => {},
): Promise<void> {
  const reader = sources.reader;
  if (!reader || !sources.deleted?.length) return;
  const encrypted: Encrypted[] = [];
  for (const d of sources.deleted) {
    const p = profile(d.path, d.blobId, await reader.read(d.blobId));
    if (p) encrypted.push(p);
  }
  if (encrypted.length === 0) return;
  for (const file of sources.files) {
    if (file.headBlobId !== undefined) continue;
    const bytes = await file.read();
    // A real sops block is judged as such; marker text alone (a nested "sops" key) is not one.
    if (hasSopsMetadata(file.path, bytes)) continue;
    const plain = plainPathsOf(bytes);
    const enc = encrypted.find((e) => isDecryptedCopy(file.path, plain, e));
    if (!enc) continue;
    debug(`${file.path}: a decrypted copy of ${enc.path}, which this commit deletes`);
    file.headBlobId = enc.blobId;
    file.readHead = () => reader.read(enc.blobId);
    file.oldPath = enc.path;
  }
}

/** gitEnv(): process.env with the extra layer on top, the same whether or not it is process.env itself. */
import { describe, expect, it } from "vitest";
import { gitEnv } from "../../src/git/exec.js";

describe("gitEnv", () => {
  it("process.env as the extra layer gives process.env (plus the prompt switch)", () => {
    const expected = { GIT_TERMINAL_PROMPT: "0", ...process.env };
    expect(gitEnv(process.env)).toEqual(expected);
    expect(gitEnv(undefined)).toEqual(expected);
    expect(gitEnv({ ...process.env })).toEqual(expected);
    expect(gitEnv(process.env)).not.toBe(process.env);
  });

  it("layers other values on top; undefined removes one", () => {
    const key = "SECRET_GUARD_GIT_ENV_TEST";
    process.env[key] = "before";
    try {
      expect(gitEnv({ [key]: "after" })[key]).toBe("after");
      expect(key in gitEnv({ [key]: undefined })).toBe(false);
      expect(gitEnv({ GIT_TERMINAL_PROMPT: "1" }).GIT_TERMINAL_PROMPT).toBe("1");
    } finally {
      delete process.env[key];
    }
  });
});

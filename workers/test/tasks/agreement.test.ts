// Unit tests of agreement measures, Krippendorff's alpha and consensus rules.
import type { LabelSchema } from "@tributary/schemas/tasks";
import { describe, expect, it } from "vitest";
import { krippendorffAlphaNominal, pairAgreementBps } from "../../src/tasks/agreement.ts";
import { decide } from "../../src/tasks/consensus.ts";

const single: LabelSchema = { type: "classification", multiple: false, classes: ["a", "b", "c"] };
const multi: LabelSchema = { type: "classification", multiple: true, classes: ["a", "b", "c"] };
const spans: LabelSchema = { type: "spans", labels: ["X"] };
const boxes: LabelSchema = { type: "boxes", labels: ["cat"] };
const text: LabelSchema = { type: "text", maxLength: 100 };

describe("Krippendorff's alpha (nominal)", () => {
  it("is 1 for perfect agreement and negative for systematic disagreement", () => {
    expect(
      krippendorffAlphaNominal([
        ["a", "a"],
        ["b", "b"],
      ]),
    ).toBe(1);
    expect(
      krippendorffAlphaNominal([
        ["a", "b"],
        ["a", "b"],
      ]),
    ).toBeCloseTo(-0.5);
  });

  it("matches worked examples and skips unpairable units", () => {
    // o(a,a) = 3, o(a,b) = o(b,a) = 1, n_a = 4, n_b = 1 → α = 1 − 4·2 / (4·1·2) = 0; the lone "b" is unpairable.
    expect(krippendorffAlphaNominal([["a", "a", "b"], ["a", "a"], ["b"]])).toBeCloseTo(0);
    // o(a,a) = o(b,b) = 2, o(a,b) = o(b,a) = 1, n_a = n_b = 3 → α = 1 − 5·2 / (3·3·2) = 4/9.
    expect(
      krippendorffAlphaNominal([
        ["a", "a"],
        ["b", "b"],
        ["a", "b"],
      ]),
    ).toBeCloseTo(4 / 9);
    expect(krippendorffAlphaNominal([["a"]])).toBeNull();
    expect(krippendorffAlphaNominal([["a", "a"]])).toBeNull();
  });
});

describe("consensus", () => {
  const b = (id: string, value: object) => ({ id, value: value as never });

  it("accepts the strict majority of single choices and sends ties to review", () => {
    const d = decide(single, 5_000, [b("1", { choice: "a" }), b("2", { choice: "a" }), b("3", { choice: "b" })]);
    expect(d?.final).toEqual({ choice: "a" });
    expect(Object.fromEntries(d?.verdicts ?? [])).toEqual({ 1: "accepted", 2: "accepted", 3: "rejected" });
    expect(decide(single, 5_000, [b("1", { choice: "a" }), b("2", { choice: "b" })])).toBeNull();
    expect(
      decide(single, 5_000, [b("1", { choice: "a" }), b("2", { choice: "b" }), b("3", { choice: "c" })]),
    ).toBeNull();
  });

  it("compares free text normalized", () => {
    const d = decide(text, 5_000, [
      b("1", { text: "Hello  World" }),
      b("2", { text: "hello world" }),
      b("3", { text: "bye" }),
    ]);
    expect(Object.fromEntries(d?.verdicts ?? [])).toEqual({ 1: "accepted", 2: "accepted", 3: "rejected" });
  });

  it("takes per-class majorities for multi-choice and accepts by Jaccard agreement", () => {
    const d = decide(multi, 5_000, [
      b("1", { choices: ["a", "b"] }),
      b("2", { choices: ["a"] }),
      b("3", { choices: ["c"] }),
    ]);
    expect(d?.final).toEqual({ choices: ["a"] });
    expect(Object.fromEntries(d?.verdicts ?? [])).toEqual({ 1: "accepted", 2: "accepted", 3: "rejected" });
  });

  it("accepts spans and boxes that agree with the others", () => {
    const s = (start: number, end: number) => ({ spans: [{ start, end, label: "X" }] });
    const d = decide(spans, 5_000, [b("1", s(0, 5)), b("2", s(0, 4)), b("3", s(10, 20))]);
    expect(Object.fromEntries(d?.verdicts ?? [])).toEqual({ 1: "accepted", 2: "accepted", 3: "rejected" });
    const box = (x: number) => ({ boxes: [{ x, y: 0.1, width: 0.3, height: 0.3, label: "cat" }] });
    expect(pairAgreementBps(box(0.1), box(0.12))).toBe(10_000);
    expect(pairAgreementBps(box(0.1), box(0.6))).toBe(0);
    const e = decide(boxes, 5_000, [b("1", box(0.1)), b("2", box(0.6))]);
    expect(e).toBeNull();
  });
});

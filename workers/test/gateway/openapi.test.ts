// The gateway's part of /openapi.json and /docs: path parameters, error shapes, auth schemes as people read them.
import { openAiErrorSchema } from "@tributary/schemas/openai";
import { describe, expect, it } from "vitest";
import { app } from "../../src/app.ts";
import { call } from "./helpers.ts";

type Parameter = { name: string; in: string; required?: boolean; schema?: object };
type Response = { content?: Record<string, { schema?: { $ref?: string } }> };
type Operation = { parameters?: Parameter[]; responses: Record<string, Response>; security?: object[] };
type Doc = { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, object> } };

const methods = ["get", "post", "put", "patch", "delete"];

async function document(): Promise<Doc> {
  const res = await call("/openapi.json");
  expect(res.status).toBe(200);
  return (await res.json()) as Doc;
}

const operations = (doc: Doc) =>
  Object.entries(doc.paths).flatMap(([path, item]) =>
    methods.flatMap((method) => (item[method] ? [{ path, method, op: item[method] }] : [])),
  );

describe("the OpenAPI document of the gateway", () => {
  it("declares a required path parameter for every {name} of every path, and no other", async () => {
    const doc = await document();
    const ops = operations(doc);
    expect(ops.length).toBeGreaterThan(30);
    for (const { path, method, op } of ops) {
      const template = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]).sort();
      const declared = (op.parameters ?? []).filter((p) => p.in === "path");
      expect(declared.map((p) => p.name).sort(), `${method} ${path}`).toEqual(template);
      expect(
        declared.every((p) => p.required === true),
        `${method} ${path}`,
      ).toBe(true);
    }
  });

  it("resolves every $ref within the document", async () => {
    const doc = await document();
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"([^"]+)"/g)].map((m) => m[1] as string);
    expect(refs).toContain("#/components/schemas/OpenAIError");
    for (const ref of new Set(refs)) {
      expect(ref.startsWith("#/"), ref).toBe(true);
      const target = ref
        .slice(2)
        .split("/")
        .reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], doc);
      expect(target, ref).toBeDefined();
    }
  });

  it("lists every route the app serves, and nothing it does not serve", async () => {
    const doc = await document();
    // The app's own routes, as OpenAPI writes them. Left out: handlers for any method (middleware, and the bench's
    // pass-through, which exists only for the benchmark: routes/bench.ts), and the document and its page themselves.
    const served = new Set(
      app.routes
        .filter((r) => r.method !== "ALL" && r.path !== "/openapi.json" && r.path !== "/docs")
        .map((r) => `${r.method.toLowerCase()} ${r.path.replace(/:([^/]+)/g, "{$1}")}`),
    );
    const documented = new Set(operations(doc).map(({ path, method }) => `${method} ${path}`));
    for (const route of [
      "get /health",
      "get /settlement/epochs",
      "get /settlement/epochs/{id}",
      "get /settlement/epochs/{id}/manifest",
      "get /payouts/{account}",
      "post /admin/settlement/close",
      "get /admin/settlement/metering",
      "post /admin/settlement/archive",
    ]) {
      expect(served, route).toContain(route);
    }
    expect([...served].filter((route) => !documented.has(route))).toEqual([]);
    expect([...documented].filter((route) => !served.has(route))).toEqual([]);
  });

  it("describes the settlement reads' path parameters from the schemas they are validated with", async () => {
    const doc = await document();
    const param = (path: string, name: string) =>
      doc.paths[path]?.get?.parameters?.find((p) => p.in === "path" && p.name === name)?.schema;
    expect(param("/settlement/epochs/{id}", "id")).toMatchObject({ type: "integer", exclusiveMinimum: 0 });
    expect(param("/settlement/epochs/{id}/manifest", "id")).toMatchObject({ type: "integer", exclusiveMinimum: 0 });
    expect(param("/payouts/{account}", "account")).toMatchObject({ type: "string", pattern: "^0x[0-9a-fA-F]{40}$" });
    // And the refusals they describe are the worker's: problem JSON, 400 for a parameter the schema refuses.
    const problem = "#/components/schemas/Problem";
    for (const [path, url] of [
      ["/settlement/epochs/{id}", "/settlement/epochs/0"],
      ["/settlement/epochs/{id}/manifest", "/settlement/epochs/x/manifest"],
      ["/payouts/{account}", "/payouts/not-an-address"],
    ] as const) {
      expect(doc.paths[path]?.get?.responses["400"]?.content?.["application/problem+json"]?.schema?.$ref).toBe(problem);
      const refused = await call(url);
      expect(refused.status, url).toBe(400);
      expect(refused.headers.get("content-type"), url).toBe("application/problem+json");
    }
    const missing = await call("/settlement/epochs/999999");
    expect(missing.status).toBe(404);
    expect(doc.paths["/settlement/epochs/{id}"]?.get?.responses).toHaveProperty("404");
    const close = doc.paths["/admin/settlement/close"]?.post;
    expect(close?.security).toEqual([{ admin: [] }]);
    expect(Object.keys(close?.responses ?? {}).sort()).toEqual(["200", "204", "401", "403", "409", "503", "default"]);
    expect((await call("/admin/settlement/close", { method: "POST" })).status).toBe(401);
    expect(doc.paths["/health"]?.get?.security).toBeUndefined();
  });

  it("lists GET /v1/models/{model}, which the SDK's models.retrieve calls", async () => {
    const doc = await document();
    expect(doc.paths["/v1/models/{model}"]?.get?.security).toEqual([{ apiKey: [] }]);
  });

  it("describes /v1 errors with the OpenAI error schema the gateway really answers with", async () => {
    const doc = await document();
    expect(doc.components.schemas).toHaveProperty("OpenAIError");
    expect(doc.components.schemas).toHaveProperty("Problem");
    const chat = doc.paths["/v1/chat/completions"]?.post;
    for (const status of ["401", "402", "429", "502", "default"]) {
      expect(chat?.responses[status]?.content?.["application/json"]?.schema?.$ref, status).toBe(
        "#/components/schemas/OpenAIError",
      );
    }
    const adminWrite = doc.paths["/admin/models"]?.put;
    expect(adminWrite?.responses["401"]?.content?.["application/problem+json"]?.schema?.$ref).toBe(
      "#/components/schemas/Problem",
    );
    const refused = await call("/v1/models", { key: "trb_wrong" });
    expect(refused.status).toBe(401);
    expect(openAiErrorSchema.safeParse(await refused.json()).success).toBe(true);
  });
});

describe("the /docs page", () => {
  it("names each operation's auth scheme and the error shape of each surface", async () => {
    const page = await (await call("/docs")).text();
    const authOf = (method: string, path: string) => {
      const row = new RegExp(
        `<td><code>${method}</code></td><td><code>${path}</code></td><td>[^<]*</td><td>([^<]*)</td>`,
      );
      return row.exec(page)?.[1];
    };
    expect(authOf("POST", "/v1/chat/completions")).toBe("API key");
    expect(authOf("POST", "/v1/keys")).toBe("payer session");
    expect(authOf("PUT", "/admin/models")).toBe("admin token");
    expect(authOf("POST", "/tasks/projects")).toBe("annotator session");
    expect(authOf("GET", "/v1/usage/signer")).toBe("public");
    expect(page).not.toContain("Errors are RFC 9457 problem JSON.");
    expect(page).toContain("Errors under /v1 have OpenAI's shape");
  });
});

// The worker's one OpenAPI 3.1 document (/openapi.json: gateway and tasks) and a reference page (/docs).
import { OpenAPIHono } from "@hono/zod-openapi";
import { Hono } from "hono";
import { html, raw } from "hono/html";
import type { AppEnv } from "../env.ts";
import { gatewayOpenApi } from "../gateway/openapi.ts";
import { tasks } from "./tasks.ts";

type Document = ReturnType<OpenAPIHono["getOpenAPI31Document"]>;
let cached: Document | undefined;

/** Built once per isolate from the zod schemas the routes validate with. */
export function openApiDocument(): Document {
  if (cached) return cached;
  const registry = new OpenAPIHono().route("/tasks", tasks);
  registry.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
    description: "Session token from POST /tasks/auth/verify (Sign-In with Ethereum).",
  });
  const tasksDocument = registry.getOpenAPI31Document({
    openapi: "3.1.0",
    info: {
      title: "Tributary API",
      version: "1.0.0",
      description:
        "The OpenAI-compatible gateway (/v1), its operator API (/admin), and annotation dispatch (/tasks): wallet sign-in, leased tasks, quality control, contribution weights.",
    },
  });
  const gateway = gatewayOpenApi();
  cached = {
    ...tasksDocument,
    paths: { ...gateway.paths, ...tasksDocument.paths } as Document["paths"],
    components: {
      ...tasksDocument.components,
      schemas: { ...gateway.schemas, ...tasksDocument.components?.schemas },
      securitySchemes: { ...gateway.securitySchemes, ...tasksDocument.components?.securitySchemes },
    } as Document["components"],
  };
  return cached;
}

const methods = ["get", "post", "put", "patch", "delete"] as const;

/** What each security scheme of the document is, for people. */
const authLabels: Record<string, string> = {
  apiKey: "API key",
  session: "payer session",
  admin: "admin token",
  bearer: "annotator session",
};

export const docs = new Hono<AppEnv>()
  .get("/openapi.json", (c) => c.json(openApiDocument()))
  .get("/docs", (c) => {
    const doc = openApiDocument();
    const rows = Object.entries(doc.paths ?? {}).flatMap(([path, item]) =>
      methods.flatMap((m) => {
        const op = item?.[m];
        if (!op) return [];
        const schemes = (op.security ?? []).flatMap((requirement) => Object.keys(requirement));
        const auth = schemes.length ? schemes.map((name) => authLabels[name] ?? name).join(" or ") : "public";
        return [
          html`<tr><td><code>${m.toUpperCase()}</code></td><td><code>${path}</code></td><td>${op.tags?.join(", ") ?? ""}</td><td>${auth}</td><td>${op.summary ?? ""}</td></tr>`,
        ];
      }),
    );
    return c.html(html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${doc.info.title}</title>
<style>body{font:14px/1.5 system-ui,sans-serif;margin:2rem;max-width:70rem}table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.4rem;text-align:left;vertical-align:top}code{font-size:13px}</style>
</head><body><h1>${doc.info.title}</h1><p>${doc.info.description ?? ""}</p>
<p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI ${doc.openapi}). Errors under /v1 have OpenAI's shape (<code>OpenAIError</code>); elsewhere they are RFC 9457 problem JSON (<code>Problem</code>). Flows and limits: docs/gateway.md, docs/tasks.md.</p>
<table><thead><tr><th>method</th><th>path</th><th>for</th><th>auth</th><th>what</th></tr></thead><tbody>${raw(rows.join(""))}</tbody></table>
</body></html>`);
  });

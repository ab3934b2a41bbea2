// The OpenAPI 3.1 document and the human reference page.
import { describe, expect, it } from "vitest";
import { call, expectJson } from "./helpers.ts";

type Doc = {
  openapi: string;
  paths: Record<string, Record<string, { security?: unknown[]; requestBody?: unknown }>>;
  components: { securitySchemes: object; schemas: Record<string, { properties?: Record<string, unknown> }> };
};

describe("OpenAPI", () => {
  it("serves one OpenAPI 3.1 document with every tasks route", async () => {
    const doc = await expectJson<Doc>(await call("/openapi.json"), 200);
    expect(doc.openapi).toBe("3.1.0");
    expect(
      Object.keys(doc.paths)
        .filter((p) => p.startsWith("/tasks"))
        .sort(),
    ).toEqual([
      "/tasks/assignments/{assignmentId}/release",
      "/tasks/assignments/{assignmentId}/submit",
      "/tasks/auth/nonce",
      "/tasks/auth/verify",
      "/tasks/datasets/{datasetId}/exports",
      "/tasks/datasets/{datasetId}/exports/{version}/proofs/{account}",
      "/tasks/datasets/{datasetId}/weights",
      "/tasks/items/{itemId}/payload",
      "/tasks/items/{itemId}/review",
      "/tasks/projects",
      "/tasks/projects/{projectId}",
      "/tasks/projects/{projectId}/claim",
      "/tasks/projects/{projectId}/items",
      "/tasks/projects/{projectId}/media",
      "/tasks/projects/{projectId}/metrics",
      "/tasks/projects/{projectId}/review",
    ]);
    expect(doc.paths["/tasks/projects"]?.post?.security).toEqual([{ bearer: [] }]);
    expect(JSON.stringify(doc.paths["/tasks/projects"]?.post?.requestBody)).toContain(
      "#/components/schemas/CreateProject",
    );
    expect(doc.components.schemas.CreateProject?.properties?.overlap).toEqual({
      type: "integer",
      minimum: 1,
      maximum: 9,
    });
    expect(Object.keys(doc.components.schemas)).toEqual(
      expect.arrayContaining(["Problem", "LabelSchema", "LabelValue", "Project", "Label", "DatasetExport"]),
    );
    expect(doc.components.securitySchemes).toHaveProperty("bearer");
  });

  it("serves a reference page for humans", async () => {
    const res = await call("/docs");
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page).toContain("/tasks/projects/{projectId}/claim");
    expect(page).toContain("<table>");
  });
});

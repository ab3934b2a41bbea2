// The worker's app: global middleware, one sub-app per surface, one error handler (the cron jobs: scheduled.ts).
import { Hono } from "hono";
import { requestId } from "hono/request-id";
import { headersByOrigin } from "./cross-origin.ts";
import type { AppEnv } from "./env.ts";
import { AppError } from "./errors.ts";
import { newId } from "./ids.ts";
import { renderError } from "./render-error.ts";
import { admin } from "./routes/admin.ts";
import { bench } from "./routes/bench.ts";
import { docs } from "./routes/docs.ts";
import { health } from "./routes/health.ts";
import { keys } from "./routes/keys.ts";
import { openai } from "./routes/openai.ts";
import { payouts, settlement, settlementAdmin } from "./routes/settlement.ts";
import { tasks } from "./routes/tasks.ts";
import { usage } from "./routes/usage.ts";

export const app = new Hono<AppEnv>();

// Request ids are UUIDv7: time-ordered, so the usage record and the charge a request writes land at the end of their
// tables' primary-key indexes instead of on a random page of each (fewer pages written per batch; docs/decisions.md).
app.use(requestId({ generator: newId }));
// Cross-Origin-Resource-Policy: same-origin, except on the surfaces pages on other origins read, which get CORS
// (cross-origin.ts). One middleware that picks by path prefix: a middleware registered per path costs every request
// the router's matching of each (about 50 µs of CPU per call together, measured on the bench).
app.use(headersByOrigin);
app.route("/health", health);
app.route("/v1", openai);
app.route("/v1", usage);
app.route("/v1", keys);
app.route("/admin/settlement", settlementAdmin);
app.route("/admin", admin);
app.route("/settlement", settlement);
app.route("/payouts", payouts);
app.route("/tasks", tasks);
app.route("/bench", bench);
app.route("/", docs);
app.onError(renderError);
app.notFound((c) => renderError(new AppError("not_found", `No route for ${c.req.method} ${c.req.path}.`), c));

// The worker: the app's fetch (app.ts) and the cron jobs (scheduled.ts).
import { app } from "./app.ts";
import type { AppEnv } from "./env.ts";
import { scheduled } from "./scheduled.ts";

export default { fetch: app.fetch, scheduled } satisfies ExportedHandler<AppEnv["Bindings"]>;

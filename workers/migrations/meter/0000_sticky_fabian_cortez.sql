CREATE TABLE `usage_records` (
	`request_id` text PRIMARY KEY NOT NULL,
	`key_id` text NOT NULL,
	`payer` text NOT NULL,
	`model` text NOT NULL,
	`model_asset` text NOT NULL,
	`license_id` text NOT NULL,
	`terms_id` text NOT NULL,
	`token` text NOT NULL,
	`route_id` text,
	`endpoint` text NOT NULL,
	`stream` integer NOT NULL,
	`input_tokens` integer NOT NULL,
	`output_tokens` integer NOT NULL,
	`cost` integer NOT NULL,
	`reserved` integer NOT NULL,
	`status` text NOT NULL,
	`http_status` integer NOT NULL,
	`latency_ms` integer NOT NULL,
	`region` text NOT NULL,
	`estimated` integer NOT NULL,
	`created_at` integer NOT NULL,
	`receipt` text NOT NULL,
	`signature` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `usage_records_payer_created` ON `usage_records` (`payer`,`created_at`);
CREATE TABLE `api_keys` (
	`id` text PRIMARY KEY NOT NULL,
	`hash` text NOT NULL,
	`prefix` text NOT NULL,
	`name` text DEFAULT '' NOT NULL,
	`payer` text NOT NULL,
	`models` text,
	`rpm` integer,
	`tpm` integer,
	`daily_spend_limit` integer,
	`expires_at` integer,
	`revoked_at` integer,
	`created_at` integer NOT NULL,
	`created_by` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_keys_hash` ON `api_keys` (`hash`);--> statement-breakpoint
CREATE INDEX `api_keys_payer` ON `api_keys` (`payer`);--> statement-breakpoint
CREATE TABLE `escrow_balances` (
	`payer` text NOT NULL,
	`token` text NOT NULL,
	`balance` integer NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`payer`, `token`)
);
--> statement-breakpoint
CREATE TABLE `license_terms` (
	`id` text PRIMARY KEY NOT NULL,
	`asset_id` text NOT NULL,
	`token` text NOT NULL,
	`price_per_mtok_in` integer NOT NULL,
	`price_per_mtok_out` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `licenses` (
	`id` text PRIMARY KEY NOT NULL,
	`asset_id` text NOT NULL,
	`terms_id` text NOT NULL,
	`holder` text NOT NULL,
	`expires_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `licenses_holder_asset` ON `licenses` (`holder`,`asset_id`);--> statement-breakpoint
CREATE TABLE `model_routes` (
	`id` text PRIMARY KEY NOT NULL,
	`model` text NOT NULL,
	`priority` integer NOT NULL,
	`base_url` text NOT NULL,
	`secret_name` text,
	`upstream_model` text NOT NULL,
	`timeout_ms` integer DEFAULT 30000 NOT NULL,
	`max_retries` integer DEFAULT 1 NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `model_routes_model_priority` ON `model_routes` (`model`,`priority`);--> statement-breakpoint
CREATE TABLE `models` (
	`name` text PRIMARY KEY NOT NULL,
	`asset_id` text NOT NULL,
	`owned_by` text DEFAULT 'tributary' NOT NULL,
	`max_output_tokens` integer DEFAULT 4096 NOT NULL,
	`kind` text DEFAULT 'chat' NOT NULL,
	`active` integer DEFAULT 1 NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `payer_sessions` (
	`token_hash` text PRIMARY KEY NOT NULL,
	`payer` text NOT NULL,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `rate_windows` (
	`key_id` text NOT NULL,
	`window` integer NOT NULL,
	`requests` integer NOT NULL,
	`tokens` integer NOT NULL,
	PRIMARY KEY(`key_id`, `window`)
);
--> statement-breakpoint
CREATE TABLE `siwe_nonces` (
	`nonce` text PRIMARY KEY NOT NULL,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `spend_holds` (
	`request_id` text PRIMARY KEY NOT NULL,
	`payer` text NOT NULL,
	`token` text NOT NULL,
	`key_id` text NOT NULL,
	`day` text NOT NULL,
	`reserved` integer NOT NULL,
	`amount` integer NOT NULL,
	`state` text NOT NULL,
	`settled_at` integer,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `spend_holds_unsettled` ON `spend_holds` (`payer`,`token`,`settled_at`);--> statement-breakpoint
CREATE INDEX `spend_holds_key_day` ON `spend_holds` (`key_id`,`day`);
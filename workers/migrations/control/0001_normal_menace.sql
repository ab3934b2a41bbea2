CREATE TABLE `settlement_epochs` (
	`epoch_id` integer PRIMARY KEY NOT NULL,
	`status` text NOT NULL,
	`watermark` integer NOT NULL,
	`from_block` integer NOT NULL,
	`to_block` integer NOT NULL,
	`manifest_key` text,
	`root` text,
	`usage_digest` text,
	`record_count` integer,
	`payer_count` integer,
	`shortfall_count` integer,
	`tx_hash` text,
	`block_number` integer,
	`error` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `settlement_epochs_status` ON `settlement_epochs` (`status`);
CREATE TABLE `chain_sync` (
	`chain_id` text PRIMARY KEY NOT NULL,
	`block_number` integer,
	`block_hash` text,
	`lease_until` integer DEFAULT 0 NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE `escrow_balances` ADD `withdrawal` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `escrow_balances` ADD `held` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `escrow_balances` ADD `block_number` integer;--> statement-breakpoint
CREATE INDEX `escrow_balances_block` ON `escrow_balances` (`block_number`);--> statement-breakpoint
ALTER TABLE `license_terms` ADD `active` integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE `license_terms` ADD `block_number` integer;--> statement-breakpoint
ALTER TABLE `licenses` ADD `block_number` integer;--> statement-breakpoint
CREATE INDEX `licenses_block` ON `licenses` (`block_number`);
CREATE TABLE `chain_charges` (
	`id` text PRIMARY KEY NOT NULL,
	`epoch_id` integer NOT NULL,
	`payer` text NOT NULL,
	`token` text NOT NULL,
	`amount` integer NOT NULL,
	`matched` integer DEFAULT 0 NOT NULL,
	`block_number` integer NOT NULL,
	`block_time` integer NOT NULL,
	`refunded_block` integer
);
--> statement-breakpoint
CREATE INDEX `chain_charges_pair` ON `chain_charges` (`payer`,`token`,`epoch_id`);--> statement-breakpoint
CREATE INDEX `chain_charges_block` ON `chain_charges` (`block_number`);--> statement-breakpoint
CREATE TABLE `chain_sync` (
	`chain_id` text PRIMARY KEY NOT NULL,
	`block_number` integer,
	`block_hash` text,
	`lease_until` integer DEFAULT 0 NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE `escrow_balances` ADD `withdrawal` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `escrow_balances` ADD `block_number` integer;--> statement-breakpoint
CREATE INDEX `escrow_balances_block` ON `escrow_balances` (`block_number`);--> statement-breakpoint
ALTER TABLE `license_terms` ADD `active` integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE `license_terms` ADD `block_number` integer;--> statement-breakpoint
ALTER TABLE `licenses` ADD `block_number` integer;--> statement-breakpoint
CREATE INDEX `licenses_block` ON `licenses` (`block_number`);--> statement-breakpoint
ALTER TABLE `spend_holds` ADD `settled_by` text;--> statement-breakpoint
CREATE INDEX `spend_holds_settled_by` ON `spend_holds` (`settled_by`);
CREATE TABLE `archived_metering` (
	`epoch_id` integer NOT NULL,
	`binding` text NOT NULL,
	`payer` text NOT NULL,
	`token` text NOT NULL,
	`amount` integer NOT NULL,
	`records` integer NOT NULL,
	PRIMARY KEY(`epoch_id`, `binding`, `payer`, `token`)
);
--> statement-breakpoint
ALTER TABLE `settlement_epochs` ADD `archived_at` integer;
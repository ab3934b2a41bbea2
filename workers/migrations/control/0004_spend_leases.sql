ALTER TABLE `spend_holds` ADD `expires_at` integer;--> statement-breakpoint
CREATE INDEX `spend_holds_leases` ON `spend_holds` (`payer`,`token`,`expires_at`) WHERE state = 'leased';
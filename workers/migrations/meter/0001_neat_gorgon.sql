ALTER TABLE `usage_records` ADD `epoch_id` integer;--> statement-breakpoint
CREATE INDEX `usage_records_epoch_created` ON `usage_records` (`epoch_id`,`created_at`);
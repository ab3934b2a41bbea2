DROP INDEX `spend_holds_unsettled`;--> statement-breakpoint
CREATE INDEX `spend_holds_unsettled_by_time` ON `spend_holds` (`created_at`) WHERE settled_at IS NULL;
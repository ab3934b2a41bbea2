CREATE INDEX `spend_holds_reservations` ON `spend_holds` (`payer`,`token`,`expires_at`) WHERE state = 'reserved';--> statement-breakpoint
-- Reservations made before this migration have no expiry: give them a day from their start, far beyond any request
-- the earlier code ran (it sent no heartbeats for them), so the sweeps release the ones whose worker died.
UPDATE `spend_holds` SET `expires_at` = `created_at` + 86400000 WHERE state = 'reserved' AND `expires_at` IS NULL;

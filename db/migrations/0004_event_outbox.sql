CREATE TABLE "event_outbox" (
	"position" bigserial PRIMARY KEY NOT NULL,
	"id" uuid NOT NULL,
	"type" text NOT NULL,
	"subject" text NOT NULL,
	"sequence" integer NOT NULL,
	"correlation_id" text,
	"data" jsonb NOT NULL,
	"occurred_at" timestamp with time zone DEFAULT now() NOT NULL,
	"transaction_id" "xid8" DEFAULT pg_current_xact_id() NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_error" text,
	"published_at" timestamp with time zone,
	CONSTRAINT "event_outbox_id_unique" UNIQUE("id"),
	CONSTRAINT "event_outbox_subject_sequence_key" UNIQUE("subject","sequence"),
	CONSTRAINT "event_outbox_status_check" CHECK ("event_outbox"."status" IN ('pending', 'published', 'failed')),
	CONSTRAINT "event_outbox_sequence_check" CHECK ("event_outbox"."sequence" > 0)
);
--> statement-breakpoint
CREATE TABLE "event_subject_sequences" (
	"subject" text PRIMARY KEY NOT NULL,
	"last_sequence" integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX "event_outbox_feed_idx" ON "event_outbox" USING btree ("transaction_id","position");--> statement-breakpoint
CREATE INDEX "event_outbox_type_feed_idx" ON "event_outbox" USING btree ("type","transaction_id","position");--> statement-breakpoint
CREATE INDEX "event_outbox_pending_idx" ON "event_outbox" USING btree ("position") WHERE "event_outbox"."status" = 'pending';--> statement-breakpoint
CREATE INDEX "event_outbox_failed_idx" ON "event_outbox" USING btree ("position") WHERE "event_outbox"."status" = 'failed';
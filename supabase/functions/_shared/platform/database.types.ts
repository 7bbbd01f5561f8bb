// The database's types (schema public), generated from the migrations by `npm run gen`
// (@supabase/postgres-meta, as `supabase gen types typescript` makes them). Do not edit: change a
// migration and run the command again; test/deploy/generated-files.test.ts checks it is current.
export type Json =
  | string
  | number
  | boolean
  | null
  | { [key: string]: Json | undefined }
  | Json[]

export type Database = {
  public: {
    Tables: {
      ai_debt_scores: {
        Row: {
          backfilled: boolean
          breakdown: NonNullable<Json>
          calculated_at: string
          company_id: string
          id: string
          job_id: string | null
          period_end: string
          period_start: string
          repository_id: string | null
          risk_zone: string
          score: number
        }
        Insert: {
          backfilled?: boolean
          breakdown: NonNullable<Json>
          calculated_at?: string
          company_id: string
          id?: string
          job_id?: string | null
          period_end: string
          period_start: string
          repository_id?: string | null
          risk_zone: string
          score: number
        }
        Update: {
          backfilled?: boolean
          breakdown?: NonNullable<Json>
          calculated_at?: string
          company_id?: string
          id?: string
          job_id?: string | null
          period_end?: string
          period_start?: string
          repository_id?: string | null
          risk_zone?: string
          score?: number
        }
        Relationships: [
          {
            foreignKeyName: "ai_debt_scores_company_id_fkey"
            columns: ["company_id"]
            isOneToOne: false
            referencedRelation: "companies"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "ai_debt_scores_repository_id_fkey"
            columns: ["repository_id"]
            isOneToOne: false
            referencedRelation: "dashboard_repository_risk"
            referencedColumns: ["repository_id"]
          },
          {
            foreignKeyName: "ai_debt_scores_repository_id_fkey"
            columns: ["repository_id"]
            isOneToOne: false
            referencedRelation: "repositories"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "ai_debt_scores_repository_id_fkey"
            columns: ["repository_id"]
            isOneToOne: false
            referencedRelation: "repository_risk_overview"
            referencedColumns: ["repository_id"]
          },
        ]
      }
      alerts: {
        Row: {
          category: string
          company_id: string
          created_at: string
          data: NonNullable<Json>
          description: string
          history: NonNullable<Json>
          id: string
          last_seen_at: string
          reopened: number
          repository_id: string | null
          resolved_at: string | null
          severity: string
          status: string
          subject: string
          title: string
          updated_at: string
        }
        Insert: {
          category: string
          company_id: string
          created_at?: string
          data?: NonNullable<Json>
          description: string
          history?: NonNullable<Json>
          id?: string
          last_seen_at?: string
          reopened?: number
          repository_id?: string | null
          resolved_at?: string | null
          severity: string
          status?: string
          subject?: string
          title: string
          updated_at?: string
        }
        Update: {
          category?: string
          company_id?: string
          created_at?: string
          data?: NonNullable<Json>
          description?: string
          history?: NonNullable<Json>
          id?: string
          last_seen_at?: string
          reopened?: number
          repository_id?: string | null
          resolved_at?: string | null
          severity?: string
          status?: string
          subject?: string
          title?: string
          updated_at?: string
        }
        Relationships: [
          {
            foreignKeyName: "alerts_company_id_fkey"
            columns: ["company_id"]
            isOneToOne: false
            referencedRelation: "companies"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "alerts_repository_id_fkey"
            columns: ["repository_id"]
            isOneToOne: false
            referencedRelation: "dashboard_repository_risk"
            referencedColumns: ["repository_id"]
          },
          {
            foreignKeyName: "alerts_repository_id_fkey"
            columns: ["repository_id"]
            isOneToOne: false
            referencedRelation: "repositories"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "alerts_repository_id_fkey"
            columns: ["repository_id"]
            isOneToOne: false
            referencedRelation: "repository_risk_overview"
            referencedColumns: ["repository_id"]
          },
        ]
      }
      companies: {
        Row: {
          created_at: string
          id: string
          name: string
          settings: NonNullable<Json>
        }
        Insert: {
          created_at?: string
          id?: string
          name: string
          settings?: NonNullable<Json>
        }
        Update: {
          created_at?: string
          id?: string
          name?: string
          settings?: NonNullable<Json>
        }
        Relationships: []
      }
      github_etag_cache: {
        Row: {
          bytes: number
          company_id: string
          etag: string
          link: string | null
          request_key: string
          shape: string
          used_at: string
          value: string
        }
        Insert: {
          bytes: number
          company_id: string
          etag: string
          link?: string | null
          request_key: string
          shape: string
          used_at?: string
          value: string
        }
        Update: {
          bytes?: number
          company_id?: string
          etag?: string
          link?: string | null
          request_key?: string
          shape?: string
          used_at?: string
          value?: string
        }
        Relationships: [
          {
            foreignKeyName: "github_etag_cache_company_id_fkey"
            columns: ["company_id"]
            isOneToOne: false
            referencedRelation: "companies"
            referencedColumns: ["id"]
          },
        ]
      }
      github_installation_repositories: {
        Row: {
          company_id: string
          installation_id: number
          repository_id: string
        }
        Insert: {
          company_id: string
          installation_id: number
          repository_id: string
        }
        Update: {
          company_id?: string
          installation_id?: number
          repository_id?: string
        }
        Relationships: [
          {
            foreignKeyName: "github_installation_repositories_company_id_fkey"
            columns: ["company_id"]
            isOneToOne: false
            referencedRelation: "companies"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "github_installation_repositories_installation_id_fkey"
            columns: ["installation_id"]
            isOneToOne: false
            referencedRelation: "github_installations"
            referencedColumns: ["installation_id"]
          },
          {
            foreignKeyName: "github_installation_repositories_repository_id_fkey"
            columns: ["repository_id"]
            isOneToOne: false
            referencedRelation: "dashboard_repository_risk"
            referencedColumns: ["repository_id"]
          },
          {
            foreignKeyName: "github_installation_repositories_repository_id_fkey"
            columns: ["repository_id"]
            isOneToOne: false
            referencedRelation: "repositories"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "github_installation_repositories_repository_id_fkey"
            columns: ["repository_id"]
            isOneToOne: false
            referencedRelation: "repository_risk_overview"
            referencedColumns: ["repository_id"]
          },
        ]
      }
      github_installations: {
        Row: {
          account_login: string | null
          company_id: string
          created_at: string
          installation_id: number
          status: string
          updated_at: string
        }
        Insert: {
          account_login?: string | null
          company_id: string
          created_at?: string
          installation_id: number
          status?: string
          updated_at?: string
        }
        Update: {
          account_login?: string | null
          company_id?: string
          created_at?: string
          installation_id?: number
          status?: string
          updated_at?: string
        }
        Relationships: [
          {
            foreignKeyName: "github_installations_company_id_fkey"
            columns: ["company_id"]
            isOneToOne: false
            referencedRelation: "companies"
            referencedColumns: ["id"]
          },
        ]
      }
      github_webhook_deliveries: {
        Row: {
          action: string | null
          body_sha256: string | null
          company_id: string | null
          delivery_id: string
          event: string
          installation_id: number | null
          jobs: NonNullable<Json>
          outcome: string
          payload_bytes: number
          reason: string | null
          received_at: string
        }
        Insert: {
          action?: string | null
          body_sha256?: string | null
          company_id?: string | null
          delivery_id: string
          event: string
          installation_id?: number | null
          jobs?: NonNullable<Json>
          outcome: string
          payload_bytes: number
          reason?: string | null
          received_at?: string
        }
        Update: {
          action?: string | null
          body_sha256?: string | null
          company_id?: string | null
          delivery_id?: string
          event?: string
          installation_id?: number | null
          jobs?: NonNullable<Json>
          outcome?: string
          payload_bytes?: number
          reason?: string | null
          received_at?: string
        }
        Relationships: [
          {
            foreignKeyName: "github_webhook_deliveries_company_id_fkey"
            columns: ["company_id"]
            isOneToOne: false
            referencedRelation: "companies"
            referencedColumns: ["id"]
          },
        ]
      }
      governance_reports: {
        Row: {
          company_id: string
          content: NonNullable<Json>
          generated_at: string
          html: string
          id: string
          job_id: string | null
          markdown: string
          period_end: string
          period_start: string
          report_type: string
          status: string
        }
        Insert: {
          company_id: string
          content: NonNullable<Json>
          generated_at?: string
          html: string
          id?: string
          job_id?: string | null
          markdown: string
          period_end: string
          period_start: string
          report_type?: string
          status?: string
        }
        Update: {
          company_id?: string
          content?: NonNullable<Json>
          generated_at?: string
          html?: string
          id?: string
          job_id?: string | null
          markdown?: string
          period_end?: string
          period_start?: string
          report_type?: string
          status?: string
        }
        Relationships: [
          {
            foreignKeyName: "governance_reports_company_id_fkey"
            columns: ["company_id"]
            isOneToOne: false
            referencedRelation: "companies"
            referencedColumns: ["id"]
          },
        ]
      }
      member_api_requests: {
        Row: {
          company_id: string
          kind: string
          requests: number
          user_id: string
          window_start: string
        }
        Insert: {
          company_id: string
          kind: string
          requests?: number
          user_id: string
          window_start: string
        }
        Update: {
          company_id?: string
          kind?: string
          requests?: number
          user_id?: string
          window_start?: string
        }
        Relationships: [
          {
            foreignKeyName: "member_api_requests_company_id_fkey"
            columns: ["company_id"]
            isOneToOne: false
            referencedRelation: "companies"
            referencedColumns: ["id"]
          },
        ]
      }
      pipeline_settings: {
        Row: {
          description: string
          name: string
          value: NonNullable<Json>
        }
        Insert: {
          description: string
          name: string
          value: NonNullable<Json>
        }
        Update: {
          description?: string
          name?: string
          value?: NonNullable<Json>
        }
        Relationships: []
      }
      pull_requests: {
        Row: {
          additions: number
          agents: string[]
          ai_generated: boolean
          ai_lines: number
          ai_reviewers: string[]
          author_is_bot: boolean
          author_login: string | null
          base_ref: string | null
          company_id: string
          confidence: number
          deletions: number
          github_pr_id: number
          head_ref: string | null
          human_reviewed: boolean
          id: string
          merged_by: string | null
          pr_created_at: string | null
          pr_merged_at: string | null
          pr_updated_at: string | null
          repository_id: string
          reviewers: string[]
          scan_id: string | null
          state: string
          title: string
          unreviewed_ai_merge: boolean
          updated_at: string
          verdict: string
        }
        Insert: {
          additions?: number
          agents?: string[]
          ai_generated: boolean
          ai_lines?: number
          ai_reviewers?: string[]
          author_is_bot?: boolean
          author_login?: string | null
          base_ref?: string | null
          company_id: string
          confidence: number
          deletions?: number
          github_pr_id: number
          head_ref?: string | null
          human_reviewed: boolean
          id?: string
          merged_by?: string | null
          pr_created_at?: string | null
          pr_merged_at?: string | null
          pr_updated_at?: string | null
          repository_id: string
          reviewers?: string[]
          scan_id?: string | null
          state: string
          title: string
          unreviewed_ai_merge: boolean
          updated_at?: string
          verdict: string
        }
        Update: {
          additions?: number
          agents?: string[]
          ai_generated?: boolean
          ai_lines?: number
          ai_reviewers?: string[]
          author_is_bot?: boolean
          author_login?: string | null
          base_ref?: string | null
          company_id?: string
          confidence?: number
          deletions?: number
          github_pr_id?: number
          head_ref?: string | null
          human_reviewed?: boolean
          id?: string
          merged_by?: string | null
          pr_created_at?: string | null
          pr_merged_at?: string | null
          pr_updated_at?: string | null
          repository_id?: string
          reviewers?: string[]
          scan_id?: string | null
          state?: string
          title?: string
          unreviewed_ai_merge?: boolean
          updated_at?: string
          verdict?: string
        }
        Relationships: [
          {
            foreignKeyName: "pull_requests_company_id_fkey"
            columns: ["company_id"]
            isOneToOne: false
            referencedRelation: "companies"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "pull_requests_repository_id_fkey"
            columns: ["repository_id"]
            isOneToOne: false
            referencedRelation: "dashboard_repository_risk"
            referencedColumns: ["repository_id"]
          },
          {
            foreignKeyName: "pull_requests_repository_id_fkey"
            columns: ["repository_id"]
            isOneToOne: false
            referencedRelation: "repositories"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "pull_requests_repository_id_fkey"
            columns: ["repository_id"]
            isOneToOne: false
            referencedRelation: "repository_risk_overview"
            referencedColumns: ["repository_id"]
          },
          {
            foreignKeyName: "pull_requests_scan_id_fkey"
            columns: ["scan_id"]
            isOneToOne: false
            referencedRelation: "scans"
            referencedColumns: ["id"]
          },
        ]
      }
      repositories: {
        Row: {
          company_id: string
          created_at: string
          default_branch: string
          full_name: string
          id: string
          is_active: boolean
          last_scanned_at: string | null
          scan_watermark: Json | null
          source: string
        }
        Insert: {
          company_id: string
          created_at?: string
          default_branch?: string
          full_name: string
          id?: string
          is_active?: boolean
          last_scanned_at?: string | null
          scan_watermark?: Json | null
          source?: string
        }
        Update: {
          company_id?: string
          created_at?: string
          default_branch?: string
          full_name?: string
          id?: string
          is_active?: boolean
          last_scanned_at?: string | null
          scan_watermark?: Json | null
          source?: string
        }
        Relationships: [
          {
            foreignKeyName: "repositories_company_id_fkey"
            columns: ["company_id"]
            isOneToOne: false
            referencedRelation: "companies"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "repositories_source_fkey"
            columns: ["source"]
            isOneToOne: false
            referencedRelation: "repository_sources"
            referencedColumns: ["name"]
          },
        ]
      }
      repository_sources: {
        Row: {
          description: string
          full_name_form: string
          full_name_pattern: string
          name: string
        }
        Insert: {
          description: string
          full_name_form: string
          full_name_pattern: string
          name: string
        }
        Update: {
          description?: string
          full_name_form?: string
          full_name_pattern?: string
          name?: string
        }
        Relationships: []
      }
      scan_job_events: {
        Row: {
          attempt: number
          company_id: string
          created_at: string
          data: Json | null
          id: number
          job_id: string
          kind: string
          message: string | null
          worker_id: string | null
        }
        Insert: {
          attempt: number
          company_id: string
          created_at?: string
          data?: Json | null
          id?: never
          job_id: string
          kind: string
          message?: string | null
          worker_id?: string | null
        }
        Update: {
          attempt?: number
          company_id?: string
          created_at?: string
          data?: Json | null
          id?: never
          job_id?: string
          kind?: string
          message?: string | null
          worker_id?: string | null
        }
        Relationships: []
      }
      scan_job_types: {
        Row: {
          description: string
          name: string
          sla_seconds: number | null
          source: string | null
          subject_key: string | null
          worker: string | null
        }
        Insert: {
          description: string
          name: string
          sla_seconds?: number | null
          source?: string | null
          subject_key?: string | null
          worker?: string | null
        }
        Update: {
          description?: string
          name?: string
          sla_seconds?: number | null
          source?: string | null
          subject_key?: string | null
          worker?: string | null
        }
        Relationships: []
      }
      scan_queue: {
        Row: {
          attempts: number
          attempts_waived: number
          cancel_requested_at: string | null
          company_id: string
          completed_at: string | null
          created_at: string
          dedupe_key: string
          error: string | null
          follow_up: Json | null
          heartbeat_at: string | null
          id: string
          lease_expires_at: string | null
          lease_seconds: number | null
          max_attempts: number
          payload: NonNullable<Json>
          priority: number
          progress: number
          progress_message: string | null
          repository_id: string | null
          result: Json | null
          run_after: string
          scan_type: string
          source_outage_since: string | null
          started_at: string | null
          status: string
          worker_id: string | null
        }
        Insert: {
          attempts?: number
          attempts_waived?: number
          cancel_requested_at?: string | null
          company_id: string
          completed_at?: string | null
          created_at?: string
          dedupe_key: string
          error?: string | null
          follow_up?: Json | null
          heartbeat_at?: string | null
          id?: string
          lease_expires_at?: string | null
          lease_seconds?: number | null
          max_attempts?: number
          payload?: NonNullable<Json>
          priority?: number
          progress?: number
          progress_message?: string | null
          repository_id?: string | null
          result?: Json | null
          run_after?: string
          scan_type?: string
          source_outage_since?: string | null
          started_at?: string | null
          status?: string
          worker_id?: string | null
        }
        Update: {
          attempts?: number
          attempts_waived?: number
          cancel_requested_at?: string | null
          company_id?: string
          completed_at?: string | null
          created_at?: string
          dedupe_key?: string
          error?: string | null
          follow_up?: Json | null
          heartbeat_at?: string | null
          id?: string
          lease_expires_at?: string | null
          lease_seconds?: number | null
          max_attempts?: number
          payload?: NonNullable<Json>
          priority?: number
          progress?: number
          progress_message?: string | null
          repository_id?: string | null
          result?: Json | null
          run_after?: string
          scan_type?: string
          source_outage_since?: string | null
          started_at?: string | null
          status?: string
          worker_id?: string | null
        }
        Relationships: [
          {
            foreignKeyName: "scan_queue_company_id_fkey"
            columns: ["company_id"]
            isOneToOne: false
            referencedRelation: "companies"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "scan_queue_repository_id_fkey"
            columns: ["repository_id"]
            isOneToOne: false
            referencedRelation: "dashboard_repository_risk"
            referencedColumns: ["repository_id"]
          },
          {
            foreignKeyName: "scan_queue_repository_id_fkey"
            columns: ["repository_id"]
            isOneToOne: false
            referencedRelation: "repositories"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "scan_queue_repository_id_fkey"
            columns: ["repository_id"]
            isOneToOne: false
            referencedRelation: "repository_risk_overview"
            referencedColumns: ["repository_id"]
          },
        ]
      }
      scan_queue_company_slots: {
        Row: {
          company_id: string
          job_id: string | null
          retiring: boolean
          slot: number
        }
        Insert: {
          company_id: string
          job_id?: string | null
          retiring?: boolean
          slot: number
        }
        Update: {
          company_id?: string
          job_id?: string | null
          retiring?: boolean
          slot?: number
        }
        Relationships: [
          {
            foreignKeyName: "scan_queue_company_slots_company_id_fkey"
            columns: ["company_id"]
            isOneToOne: false
            referencedRelation: "companies"
            referencedColumns: ["id"]
          },
        ]
      }
      scan_queue_reaper: {
        Row: {
          last_run_at: string | null
          singleton: boolean
        }
        Insert: {
          last_run_at?: string | null
          singleton?: boolean
        }
        Update: {
          last_run_at?: string | null
          singleton?: boolean
        }
        Relationships: []
      }
      scan_results: {
        Row: {
          agents: string[]
          ai_lines: number | null
          author_email: string | null
          author_name: string | null
          authored_at: string | null
          commit_sha: string
          committed_at: string | null
          company_id: string
          confidence: number
          counted_lines: number | null
          filtered_out: string | null
          is_merge: boolean
          lines_added: number | null
          lines_deleted: number | null
          marks_only: Json | null
          note_blobs: string[] | null
          note_conflict: string | null
          path: string
          recorded: Json | null
          recorded_ai_lines: number | null
          recorded_human_lines: number | null
          repository_id: string
          scan_id: string
          suspect_inputs: Json | null
          suspect_score: number | null
          verdict: string
        }
        Insert: {
          agents?: string[]
          ai_lines?: number | null
          author_email?: string | null
          author_name?: string | null
          authored_at?: string | null
          commit_sha: string
          committed_at?: string | null
          company_id: string
          confidence: number
          counted_lines?: number | null
          filtered_out?: string | null
          is_merge?: boolean
          lines_added?: number | null
          lines_deleted?: number | null
          marks_only?: Json | null
          note_blobs?: string[] | null
          note_conflict?: string | null
          path?: string
          recorded?: Json | null
          recorded_ai_lines?: number | null
          recorded_human_lines?: number | null
          repository_id: string
          scan_id: string
          suspect_inputs?: Json | null
          suspect_score?: number | null
          verdict: string
        }
        Update: {
          agents?: string[]
          ai_lines?: number | null
          author_email?: string | null
          author_name?: string | null
          authored_at?: string | null
          commit_sha?: string
          committed_at?: string | null
          company_id?: string
          confidence?: number
          counted_lines?: number | null
          filtered_out?: string | null
          is_merge?: boolean
          lines_added?: number | null
          lines_deleted?: number | null
          marks_only?: Json | null
          note_blobs?: string[] | null
          note_conflict?: string | null
          path?: string
          recorded?: Json | null
          recorded_ai_lines?: number | null
          recorded_human_lines?: number | null
          repository_id?: string
          scan_id?: string
          suspect_inputs?: Json | null
          suspect_score?: number | null
          verdict?: string
        }
        Relationships: [
          {
            foreignKeyName: "scan_results_repository_id_fkey"
            columns: ["repository_id"]
            isOneToOne: false
            referencedRelation: "dashboard_repository_risk"
            referencedColumns: ["repository_id"]
          },
          {
            foreignKeyName: "scan_results_repository_id_fkey"
            columns: ["repository_id"]
            isOneToOne: false
            referencedRelation: "repositories"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "scan_results_repository_id_fkey"
            columns: ["repository_id"]
            isOneToOne: false
            referencedRelation: "repository_risk_overview"
            referencedColumns: ["repository_id"]
          },
          {
            foreignKeyName: "scan_results_scan_id_fkey"
            columns: ["scan_id"]
            isOneToOne: false
            referencedRelation: "scans"
            referencedColumns: ["id"]
          },
        ]
      }
      scan_source_answers: {
        Row: {
          answered_at: string
          job_id: string
          source: string
        }
        Insert: {
          answered_at: string
          job_id: string
          source: string
        }
        Update: {
          answered_at?: string
          job_id?: string
          source?: string
        }
        Relationships: []
      }
      scan_source_outages: {
        Row: {
          blocked_until: string
          failures: number
          last_error: string
          probe_job_id: string | null
          probe_until: string | null
          since: string
          source: string
          updated_at: string
        }
        Insert: {
          blocked_until: string
          failures: number
          last_error: string
          probe_job_id?: string | null
          probe_until?: string | null
          since: string
          source: string
          updated_at: string
        }
        Update: {
          blocked_until?: string
          failures?: number
          last_error?: string
          probe_job_id?: string | null
          probe_until?: string | null
          since?: string
          source?: string
          updated_at?: string
        }
        Relationships: []
      }
      scan_workers: {
        Row: {
          function_name: string
          lapses_at: string
          started_at: string
          worker_id: string
        }
        Insert: {
          function_name: string
          lapses_at: string
          started_at: string
          worker_id: string
        }
        Update: {
          function_name?: string
          lapses_at?: string
          started_at?: string
          worker_id?: string
        }
        Relationships: []
      }
      scans: {
        Row: {
          api_requests: NonNullable<Json>
          attempt: number
          checkpoint: Json | null
          company_id: string
          completed_at: string | null
          error_message: string | null
          id: string
          job_id: string
          progress: number
          progress_message: string | null
          repository_id: string
          scan_type: string
          started_at: string
          status: string
          summary: Json | null
          timings: NonNullable<Json>
          updated_at: string
          warnings: NonNullable<Json>
        }
        Insert: {
          api_requests?: NonNullable<Json>
          attempt: number
          checkpoint?: Json | null
          company_id: string
          completed_at?: string | null
          error_message?: string | null
          id?: string
          job_id: string
          progress?: number
          progress_message?: string | null
          repository_id: string
          scan_type: string
          started_at?: string
          status?: string
          summary?: Json | null
          timings?: NonNullable<Json>
          updated_at?: string
          warnings?: NonNullable<Json>
        }
        Update: {
          api_requests?: NonNullable<Json>
          attempt?: number
          checkpoint?: Json | null
          company_id?: string
          completed_at?: string | null
          error_message?: string | null
          id?: string
          job_id?: string
          progress?: number
          progress_message?: string | null
          repository_id?: string
          scan_type?: string
          started_at?: string
          status?: string
          summary?: Json | null
          timings?: NonNullable<Json>
          updated_at?: string
          warnings?: NonNullable<Json>
        }
        Relationships: [
          {
            foreignKeyName: "scans_company_id_fkey"
            columns: ["company_id"]
            isOneToOne: false
            referencedRelation: "companies"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "scans_repository_id_fkey"
            columns: ["repository_id"]
            isOneToOne: false
            referencedRelation: "dashboard_repository_risk"
            referencedColumns: ["repository_id"]
          },
          {
            foreignKeyName: "scans_repository_id_fkey"
            columns: ["repository_id"]
            isOneToOne: false
            referencedRelation: "repositories"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "scans_repository_id_fkey"
            columns: ["repository_id"]
            isOneToOne: false
            referencedRelation: "repository_risk_overview"
            referencedColumns: ["repository_id"]
          },
        ]
      }
      slack_deliveries: {
        Row: {
          attempts: number
          company_id: string
          created_at: string
          dead_at: string | null
          delivered_at: string | null
          earlier_attempts: number
          id: string
          job_id: string | null
          kind: string
          last_error: string | null
          last_status_code: number | null
          payload: NonNullable<Json>
          period_start: string
          status: string
          updated_at: string
        }
        Insert: {
          attempts?: number
          company_id: string
          created_at?: string
          dead_at?: string | null
          delivered_at?: string | null
          earlier_attempts?: number
          id?: string
          job_id?: string | null
          kind?: string
          last_error?: string | null
          last_status_code?: number | null
          payload: NonNullable<Json>
          period_start: string
          status?: string
          updated_at?: string
        }
        Update: {
          attempts?: number
          company_id?: string
          created_at?: string
          dead_at?: string | null
          delivered_at?: string | null
          earlier_attempts?: number
          id?: string
          job_id?: string | null
          kind?: string
          last_error?: string | null
          last_status_code?: number | null
          payload?: NonNullable<Json>
          period_start?: string
          status?: string
          updated_at?: string
        }
        Relationships: [
          {
            foreignKeyName: "slack_deliveries_company_id_fkey"
            columns: ["company_id"]
            isOneToOne: false
            referencedRelation: "companies"
            referencedColumns: ["id"]
          },
        ]
      }
      slack_delivery_attempts: {
        Row: {
          attempt: number
          attempted_at: string
          company_id: string
          delivery_id: string
          duration_ms: number | null
          error: string | null
          outcome: string
          status_code: number | null
        }
        Insert: {
          attempt: number
          attempted_at?: string
          company_id: string
          delivery_id: string
          duration_ms?: number | null
          error?: string | null
          outcome: string
          status_code?: number | null
        }
        Update: {
          attempt?: number
          attempted_at?: string
          company_id?: string
          delivery_id?: string
          duration_ms?: number | null
          error?: string | null
          outcome?: string
          status_code?: number | null
        }
        Relationships: [
          {
            foreignKeyName: "slack_delivery_attempts_delivery_id_fkey"
            columns: ["delivery_id"]
            isOneToOne: false
            referencedRelation: "slack_deliveries"
            referencedColumns: ["id"]
          },
        ]
      }
      team_metrics: {
        Row: {
          ai_commits: number
          ai_lines: number
          assisted_commits: number
          author_email: string
          author_name: string | null
          commits: number
          company_id: string
          lines_added: number
          period_end: string
          period_start: string
          repositories: number
          suspected_commits: number
          updated_at: string
        }
        Insert: {
          ai_commits: number
          ai_lines: number
          assisted_commits: number
          author_email: string
          author_name?: string | null
          commits: number
          company_id: string
          lines_added: number
          period_end: string
          period_start: string
          repositories: number
          suspected_commits: number
          updated_at?: string
        }
        Update: {
          ai_commits?: number
          ai_lines?: number
          assisted_commits?: number
          author_email?: string
          author_name?: string | null
          commits?: number
          company_id?: string
          lines_added?: number
          period_end?: string
          period_start?: string
          repositories?: number
          suspected_commits?: number
          updated_at?: string
        }
        Relationships: [
          {
            foreignKeyName: "team_metrics_company_id_fkey"
            columns: ["company_id"]
            isOneToOne: false
            referencedRelation: "companies"
            referencedColumns: ["id"]
          },
        ]
      }
      users: {
        Row: {
          company_id: string
          created_at: string
          email: string
          id: string
          role: string
        }
        Insert: {
          company_id: string
          created_at?: string
          email: string
          id: string
          role?: string
        }
        Update: {
          company_id?: string
          created_at?: string
          email?: string
          id?: string
          role?: string
        }
        Relationships: [
          {
            foreignKeyName: "users_company_id_fkey"
            columns: ["company_id"]
            isOneToOne: false
            referencedRelation: "companies"
            referencedColumns: ["id"]
          },
        ]
      }
    }
    Views: {
      company_weekly_trend: {
        Row: {
          ai_commits: number | null
          ai_lines: number | null
          ai_loc_percentage: number | null
          authors: number | null
          commits: number | null
          company_id: string | null
          lines_added: number | null
          score: number | null
          week_start: string | null
        }
        Relationships: [
          {
            foreignKeyName: "team_metrics_company_id_fkey"
            columns: ["company_id"]
            isOneToOne: false
            referencedRelation: "companies"
            referencedColumns: ["id"]
          },
        ]
      }
      dashboard_company_weekly_trend: {
        Row: {
          ai_commits: number | null
          ai_lines: number | null
          ai_loc_percentage: number | null
          authors: number | null
          commits: number | null
          company_id: string | null
          lines_added: number | null
          score: number | null
          week_start: string | null
        }
        Relationships: [
          {
            foreignKeyName: "team_metrics_company_id_fkey"
            columns: ["company_id"]
            isOneToOne: false
            referencedRelation: "companies"
            referencedColumns: ["id"]
          },
        ]
      }
      dashboard_repository_risk: {
        Row: {
          ai_loc_percentage: number | null
          calculated_at: string | null
          company_id: string | null
          full_name: string | null
          is_active: boolean | null
          last_scanned_at: string | null
          open_alerts: number | null
          repository_id: string | null
          review_coverage_percentage: number | null
          risk_zone: string | null
          score: number | null
          suspected_loc_percentage: number | null
          unreviewed_ai_merges: number | null
        }
        Relationships: [
          {
            foreignKeyName: "repositories_company_id_fkey"
            columns: ["company_id"]
            isOneToOne: false
            referencedRelation: "companies"
            referencedColumns: ["id"]
          },
        ]
      }
      repository_risk_overview: {
        Row: {
          ai_loc_percentage: number | null
          calculated_at: string | null
          company_id: string | null
          full_name: string | null
          is_active: boolean | null
          last_scanned_at: string | null
          open_alerts: number | null
          repository_id: string | null
          review_coverage_percentage: number | null
          risk_zone: string | null
          score: number | null
          suspected_loc_percentage: number | null
          unreviewed_ai_merges: number | null
        }
        Relationships: [
          {
            foreignKeyName: "repositories_company_id_fkey"
            columns: ["company_id"]
            isOneToOne: false
            referencedRelation: "companies"
            referencedColumns: ["id"]
          },
        ]
      }
    }
    Functions: {
      add_company_member: {
        Args: { p_company_id: string; p_member: string; p_role?: string }
        Returns: {
          created: boolean
          email: string
          role: string
          user_id: string
        }[]
      }
      add_repository: {
        Args: {
          p_company_id: string
          p_default_branch?: string
          p_full_name: string
        }
        Returns: {
          created: boolean
          repository_id: string
        }[]
      }
      ai_debt_company_inputs: {
        Args: { p_as_of: string; p_company_id: string }
        Returns: Json
      }
      ai_debt_inputs: {
        Args: { p_end: string; p_repository_id: string; p_start: string }
        Returns: Json
      }
      ai_debt_ratios: { Args: { p_counts: Json }; Returns: Json }
      ai_debt_risk_zone: { Args: { p_score: number }; Returns: string }
      ai_debt_score_formula: { Args: { p_inputs: Json }; Returns: Json }
      alert_number: { Args: { p_value: number }; Returns: string }
      backfill_ai_debt_trend: {
        Args: { p_company_id: string; p_weeks?: number }
        Returns: number
      }
      begin_scan: {
        Args: { p_attempt: number; p_job_id: string }
        Returns: {
          checkpoint: Json
          pages: number
          runs: number
          scan_id: string
        }[]
      }
      begin_scan_worker: {
        Args: {
          p_budget_seconds: number
          p_function: string
          p_worker_id: string
        }
        Returns: boolean
      }
      calculate_ai_debt_score: {
        Args: { p_company_id: string; p_repository_id?: string }
        Returns: {
          backfilled: boolean
          breakdown: NonNullable<Json>
          calculated_at: string
          company_id: string
          id: string
          job_id: string | null
          period_end: string
          period_start: string
          repository_id: string | null
          risk_zone: string
          score: number
        }
        SetofOptions: {
          from: "*"
          to: "ai_debt_scores"
          isOneToOne: true
          isSetofReturn: false
        }
      }
      cancel_scan_job: {
        Args: { p_job_id: string; p_reason?: string }
        Returns: Database["public"]["CompositeTypes"]["scan_job_write"]
        SetofOptions: {
          from: "*"
          to: "scan_job_write"
          isOneToOne: true
          isSetofReturn: false
        }
      }
      claim_next_scan_job: {
        Args: {
          p_lease_seconds?: number
          p_scan_types?: string[]
          p_worker_id: string
        }
        Returns: {
          attempts: number
          attempts_waived: number
          cancel_requested_at: string | null
          company_id: string
          completed_at: string | null
          created_at: string
          dedupe_key: string
          error: string | null
          follow_up: Json | null
          heartbeat_at: string | null
          id: string
          lease_expires_at: string | null
          lease_seconds: number | null
          max_attempts: number
          payload: NonNullable<Json>
          priority: number
          progress: number
          progress_message: string | null
          repository_id: string | null
          result: Json | null
          run_after: string
          scan_type: string
          source_outage_since: string | null
          started_at: string | null
          status: string
          worker_id: string | null
        }
        SetofOptions: {
          from: "*"
          to: "scan_queue"
          isOneToOne: true
          isSetofReturn: false
        }
      }
      claim_scan_job: {
        Args: {
          p_job_id: string
          p_lease_seconds?: number
          p_worker_id: string
        }
        Returns: {
          attempts: number
          attempts_waived: number
          cancel_requested_at: string | null
          company_id: string
          completed_at: string | null
          created_at: string
          dedupe_key: string
          error: string | null
          follow_up: Json | null
          heartbeat_at: string | null
          id: string
          lease_expires_at: string | null
          lease_seconds: number | null
          max_attempts: number
          payload: NonNullable<Json>
          priority: number
          progress: number
          progress_message: string | null
          repository_id: string | null
          result: Json | null
          run_after: string
          scan_type: string
          source_outage_since: string | null
          started_at: string | null
          status: string
          worker_id: string | null
        }[]
        SetofOptions: {
          from: "*"
          to: "scan_queue"
          isOneToOne: false
          isSetofReturn: true
        }
      }
      claim_scan_jobs: {
        Args: {
          p_lease_seconds?: number
          p_limit?: number
          p_scan_types?: string[]
          p_worker_id: string
        }
        Returns: {
          attempts: number
          attempts_waived: number
          cancel_requested_at: string | null
          company_id: string
          completed_at: string | null
          created_at: string
          dedupe_key: string
          error: string | null
          follow_up: Json | null
          heartbeat_at: string | null
          id: string
          lease_expires_at: string | null
          lease_seconds: number | null
          max_attempts: number
          payload: NonNullable<Json>
          priority: number
          progress: number
          progress_message: string | null
          repository_id: string | null
          result: Json | null
          run_after: string
          scan_type: string
          source_outage_since: string | null
          started_at: string | null
          status: string
          worker_id: string | null
        }[]
        SetofOptions: {
          from: "*"
          to: "scan_queue"
          isOneToOne: false
          isSetofReturn: true
        }
      }
      company_alert_conditions: {
        Args: { p_company_id: string }
        Returns: {
          category: string
          data: Json
          description: string
          repository_id: string
          severity: string
          subject: string
          title: string
        }[]
      }
      company_setting_number: {
        Args: { p_default: number; p_name: string; p_settings: Json }
        Returns: number
      }
      complete_scan: {
        Args: { p_attempt: number; p_completion: Json; p_job_id: string }
        Returns: Database["public"]["CompositeTypes"]["scan_job_write"]
        SetofOptions: {
          from: "*"
          to: "scan_job_write"
          isOneToOne: true
          isSetofReturn: false
        }
      }
      complete_scan_job: {
        Args: { p_attempt: number; p_job_id: string; p_result?: Json }
        Returns: Database["public"]["CompositeTypes"]["scan_job_write"]
        SetofOptions: {
          from: "*"
          to: "scan_job_write"
          isOneToOne: true
          isSetofReturn: false
        }
      }
      complete_scan_jobs: {
        Args: { p_jobs: Json }
        Returns: Database["public"]["CompositeTypes"]["scan_job_write"][]
        SetofOptions: {
          from: "*"
          to: "scan_job_write"
          isOneToOne: false
          isSetofReturn: true
        }
      }
      create_company: {
        Args: { p_name: string; p_settings?: Json }
        Returns: string
      }
      current_company_id: { Args: Record<PropertyKey, never>; Returns: string }
      dashboard_company: {
        Args: { p_company_id: string; p_period_end: string }
        Returns: Json
      }
      dashboard_repository: {
        Args: {
          p_company_id: string
          p_period_end: string
          p_repository_id: string
        }
        Returns: Json
      }
      dashboard_scan_entries: {
        Args: { p_company_id: string; p_job_ids: string[] }
        Returns: {
          at: string
          entry: Json
          repository_id: string
        }[]
      }
      dashboard_scans: {
        Args: { p_company_id: string; p_limit: number; p_repository_id: string }
        Returns: Json
      }
      dispatch_scan_workers: {
        Args: { p_max_workers?: number; p_reason?: string }
        Returns: number
      }
      end_scan_worker: { Args: { p_worker_id: string }; Returns: undefined }
      enqueue_daily_auto_scans: { Args: { p_day?: string }; Returns: number }
      enqueue_job_alerts: { Args: Record<PropertyKey, never>; Returns: number }
      enqueue_refresh_views: {
        Args: Record<PropertyKey, never>
        Returns: string
      }
      enqueue_scan: {
        Args: {
          p_company_id: string
          p_dedupe_key?: string
          p_max_attempts?: number
          p_payload?: Json
          p_priority?: number
          p_repository_id?: string
          p_run_after?: string
          p_scan_type?: string
        }
        Returns: {
          attempts: number
          attempts_waived: number
          cancel_requested_at: string | null
          company_id: string
          completed_at: string | null
          created_at: string
          dedupe_key: string
          error: string | null
          follow_up: Json | null
          heartbeat_at: string | null
          id: string
          lease_expires_at: string | null
          lease_seconds: number | null
          max_attempts: number
          payload: NonNullable<Json>
          priority: number
          progress: number
          progress_message: string | null
          repository_id: string | null
          result: Json | null
          run_after: string
          scan_type: string
          source_outage_since: string | null
          started_at: string | null
          status: string
          worker_id: string | null
        }
        SetofOptions: {
          from: "*"
          to: "scan_queue"
          isOneToOne: true
          isSetofReturn: false
        }
      }
      enqueue_scans: {
        Args: { p_jobs: Json }
        Returns: {
          attempts: number
          attempts_waived: number
          cancel_requested_at: string | null
          company_id: string
          completed_at: string | null
          created_at: string
          dedupe_key: string
          error: string | null
          follow_up: Json | null
          heartbeat_at: string | null
          id: string
          lease_expires_at: string | null
          lease_seconds: number | null
          max_attempts: number
          payload: NonNullable<Json>
          priority: number
          progress: number
          progress_message: string | null
          repository_id: string | null
          result: Json | null
          run_after: string
          scan_type: string
          source_outage_since: string | null
          started_at: string | null
          status: string
          worker_id: string | null
        }[]
        SetofOptions: {
          from: "*"
          to: "scan_queue"
          isOneToOne: false
          isSetofReturn: true
        }
      }
      enqueue_slack_digests: { Args: { p_day?: string }; Returns: number }
      enqueue_weekly_company_jobs: {
        Args: { p_day?: string; p_scan_type: string }
        Returns: number
      }
      enqueue_weekly_reports: { Args: { p_day?: string }; Returns: number }
      ensure_platform_company: {
        Args: Record<PropertyKey, never>
        Returns: string
      }
      evaluate_company_alerts: { Args: { p_company_id: string }; Returns: Json }
      fail_scan_job: {
        Args: {
          p_attempt: number
          p_error: string
          p_job_id: string
          p_retryable?: boolean
        }
        Returns: Database["public"]["CompositeTypes"]["scan_job_write"]
        SetofOptions: {
          from: "*"
          to: "scan_job_write"
          isOneToOne: true
          isSetofReturn: false
        }
      }
      github_etag_cache_bound: { Args: { p_settings: Json }; Returns: number }
      github_etag_cache_get: {
        Args: { p_company_id: string; p_request_key: string; p_shape: string }
        Returns: {
          etag: string
          link: string
          value: string
        }[]
      }
      github_etag_cache_put: {
        Args: {
          p_company_id: string
          p_etag: string
          p_link: string
          p_request_key: string
          p_shape: string
          p_value: string
        }
        Returns: undefined
      }
      github_token: { Args: { p_company_id: string }; Returns: string }
      github_webhook_job_entry: {
        Args: {
          p_full_name: string
          p_job: Database["public"]["Tables"]["scan_queue"]["Row"]
        }
        Returns: Json
      }
      github_webhook_secret: { Args: { p_company_id: string }; Returns: string }
      github_webhook_secret_name: {
        Args: { p_company_id: string }
        Returns: string
      }
      governance_report: {
        Args: { p_company_id: string; p_period_start: string }
        Returns: Json
      }
      heartbeat_scan_job: {
        Args: {
          p_attempt: number
          p_job_id: string
          p_message?: string
          p_progress?: number
        }
        Returns: Database["public"]["CompositeTypes"]["scan_job_write"]
        SetofOptions: {
          from: "*"
          to: "scan_job_write"
          isOneToOne: true
          isSetofReturn: false
        }
      }
      link_github_installation: {
        Args: {
          p_account_login?: string
          p_company_id: string
          p_installation_id: number
        }
        Returns: {
          account_login: string | null
          company_id: string
          created_at: string
          installation_id: number
          status: string
          updated_at: string
        }
        SetofOptions: {
          from: "*"
          to: "github_installations"
          isOneToOne: true
          isSetofReturn: false
        }
      }
      member_api_admit: {
        Args: { p_kind: string; p_user_id: string }
        Returns: Json
      }
      member_cancel_scan: {
        Args: { p_job_id: string; p_user_id: string }
        Returns: Json
      }
      member_company_id: { Args: { p_user_id: string }; Returns: string }
      member_request_scan: {
        Args: {
          p_full_name?: string
          p_payload?: Json
          p_repository_id?: string
          p_scan_type?: string
          p_user_id: string
        }
        Returns: Json
      }
      member_scan_queue_stats: { Args: { p_sla?: string }; Returns: Json }
      member_scan_status: {
        Args: { p_job_id: string; p_user_id: string }
        Returns: Json
      }
      pipeline_health: { Args: Record<PropertyKey, never>; Returns: Json }
      pipeline_schedules: {
        Args: Record<PropertyKey, never>
        Returns: {
          active: boolean
          command: string
          last_message: string
          last_run_at: string
          last_status: string
          name: string
          schedule: string
        }[]
      }
      pipeline_setting: { Args: { p_name: string }; Returns: Json }
      pipeline_setting_int: {
        Args: { p_default: number; p_name: string }
        Returns: number
      }
      platform_company_id: { Args: Record<PropertyKey, never>; Returns: string }
      prepare_slack_delivery: {
        Args: {
          p_company_id: string
          p_job_id?: string
          p_payload: Json
          p_period_start: string
        }
        Returns: {
          attempts: number
          company_id: string
          created_at: string
          dead_at: string | null
          delivered_at: string | null
          earlier_attempts: number
          id: string
          job_id: string | null
          kind: string
          last_error: string | null
          last_status_code: number | null
          payload: NonNullable<Json>
          period_start: string
          status: string
          updated_at: string
        }
        SetofOptions: {
          from: "*"
          to: "slack_deliveries"
          isOneToOne: true
          isSetofReturn: false
        }
      }
      prune_ai_debt_scores: { Args: { p_keep_all?: string }; Returns: number }
      prune_github_etag_cache: {
        Args: { p_company_id?: string; p_max_age?: string }
        Returns: {
          bytes: number
          entries: number
        }[]
      }
      prune_github_webhook_deliveries: {
        Args: { p_keep?: string }
        Returns: number
      }
      prune_platform_history: {
        Args: { p_responses_older_than?: string; p_runs_older_than?: string }
        Returns: Json
      }
      prune_scan_queue: {
        Args: {
          p_cancelled_retention?: string
          p_completed_retention?: string
          p_dead_retention?: string
        }
        Returns: {
          events: number
          jobs: number
        }[]
      }
      queue_metrics: { Args: Record<PropertyKey, never>; Returns: Json }
      reap_expired_scan_jobs: {
        Args: Record<PropertyKey, never>
        Returns: {
          cancelled: number
          dead: number
          requeued: number
        }[]
      }
      record_github_webhook_delivery: {
        Args: {
          p_action: string
          p_body_sha256?: string
          p_company_id: string
          p_delivery_id: string
          p_event: string
          p_installation_id: number
          p_payload_bytes: number
          p_route: Json
        }
        Returns: Json
      }
      record_scan_page: {
        Args: { p_attempt: number; p_job_id: string; p_page: Json }
        Returns: Database["public"]["CompositeTypes"]["scan_job_write"]
        SetofOptions: {
          from: "*"
          to: "scan_job_write"
          isOneToOne: true
          isSetofReturn: false
        }
      }
      record_slack_attempt: {
        Args: {
          p_attempt: number
          p_delivery_id: string
          p_duration_ms: number
          p_error: string
          p_outcome: string
          p_status_code: number
        }
        Returns: boolean
      }
      refresh_dashboard_views: {
        Args: Record<PropertyKey, never>
        Returns: Json
      }
      report_scan_source_outage: {
        Args: { p_attempt: number; p_error: string; p_job_id: string }
        Returns: Database["public"]["CompositeTypes"]["scan_job_write"]
        SetofOptions: {
          from: "*"
          to: "scan_job_write"
          isOneToOne: true
          isSetofReturn: false
        }
      }
      report_scan_source_timeout: {
        Args: { p_attempt: number; p_error: string; p_job_id: string }
        Returns: Database["public"]["CompositeTypes"]["scan_job_write"]
        SetofOptions: {
          from: "*"
          to: "scan_job_write"
          isOneToOne: true
          isSetofReturn: false
        }
      }
      report_week_before: {
        Args: { p_day: string }
        Returns: {
          period_end: string
          period_start: string
        }[]
      }
      repository_scan_target: {
        Args: { p_attempt: number; p_job_id: string }
        Returns: {
          default_branch: string
          full_name: string
          is_active: boolean
          repository_id: string
          scan_watermark: Json
          scan_window_days: number
          source: string
        }[]
      }
      resolve_company: { Args: { p_company: string }; Returns: string }
      retry_scan_job: {
        Args: { p_job_id: string }
        Returns: Database["public"]["CompositeTypes"]["scan_job_write"]
        SetofOptions: {
          from: "*"
          to: "scan_job_write"
          isOneToOne: true
          isSetofReturn: false
        }
      }
      run_calculate_scores: {
        Args: { p_attempt: number; p_job_id: string }
        Returns: Database["public"]["CompositeTypes"]["scan_job_write"]
        SetofOptions: {
          from: "*"
          to: "scan_job_write"
          isOneToOne: true
          isSetofReturn: false
        }
      }
      run_generate_alerts: {
        Args: { p_attempt: number; p_job_id: string }
        Returns: Database["public"]["CompositeTypes"]["scan_job_write"]
        SetofOptions: {
          from: "*"
          to: "scan_job_write"
          isOneToOne: true
          isSetofReturn: false
        }
      }
      run_refresh_views: {
        Args: { p_attempt: number; p_job_id: string }
        Returns: Database["public"]["CompositeTypes"]["scan_job_write"]
        SetofOptions: {
          from: "*"
          to: "scan_job_write"
          isOneToOne: true
          isSetofReturn: false
        }
      }
      save_governance_report: {
        Args: {
          p_company_id: string
          p_content: Json
          p_html: string
          p_job_id?: string
          p_markdown: string
          p_period_end: string
          p_period_start: string
        }
        Returns: string
      }
      scan_add_counts: { Args: { p_more: Json; p_total: Json }; Returns: Json }
      scan_job_source: {
        Args: { p_repository_id: string; p_scan_type: unknown }
        Returns: string
      }
      scan_queue_accepted: {
        Args: {
          p_message?: string
          v_job: Database["public"]["Tables"]["scan_queue"]["Row"]
        }
        Returns: Database["public"]["CompositeTypes"]["scan_job_write"]
        SetofOptions: {
          from: "*"
          to: "scan_job_write"
          isOneToOne: true
          isSetofReturn: false
        }
      }
      scan_queue_backoff: {
        Args: { p_attempts_spent: number }
        Returns: string
      }
      scan_queue_check_types: {
        Args: { p_types: string[] }
        Returns: undefined
      }
      scan_queue_company_cap: { Args: { p_settings: Json }; Returns: number }
      scan_queue_free_slots: {
        Args: { p_company_ids: string[]; p_job_ids: string[] }
        Returns: undefined
      }
      scan_queue_job_finished: {
        Args: { p_job_ids: string[] }
        Returns: number
      }
      scan_queue_job_key: {
        Args: {
          p_dedupe_key: string
          p_payload: Json
          p_repository_id: string
          p_type: string
        }
        Returns: string
      }
      scan_queue_job_types: {
        Args: { p_worker?: string }
        Returns: {
          description: string
          name: string
          sla_seconds: number | null
          source: string | null
          subject_key: string | null
          worker: string | null
        }[]
        SetofOptions: {
          from: "*"
          to: "scan_job_types"
          isOneToOne: false
          isSetofReturn: true
        }
      }
      scan_queue_lag: { Args: { p_window?: string }; Returns: Json }
      scan_queue_merge_follow_up: {
        Args: {
          p_follow_up: Json
          p_max_attempts: number
          p_now: string
          p_payload: Json
          p_priority: number
          p_requests: number
          p_run_after: string
        }
        Returns: Json
      }
      scan_queue_now: { Args: Record<PropertyKey, never>; Returns: string }
      scan_queue_outage_backoff: {
        Args: { p_failures: number }
        Returns: string
      }
      scan_queue_outage_give_up: {
        Args: Record<PropertyKey, never>
        Returns: string
      }
      scan_queue_refusal: {
        Args: {
          p_action: string
          p_attempt: number
          p_job_id: string
          p_worker_id?: string
        }
        Returns: Database["public"]["CompositeTypes"]["scan_job_write"]
        SetofOptions: {
          from: "*"
          to: "scan_job_write"
          isOneToOne: true
          isSetofReturn: false
        }
      }
      scan_queue_stats: {
        Args: { p_company_id?: string; p_sla?: string }
        Returns: Json
      }
      scan_repository_evidence: {
        Args: { p_attempt: number; p_job_id: string; p_since: string }
        Returns: Json
      }
      scan_rows: {
        Args: { p_attempt: number; p_job_id: string }
        Returns: Json
      }
      scan_rows_with_new_notes: {
        Args: { p_attempt: number; p_job_id: string; p_notes: Json }
        Returns: Json
      }
      scan_source_answered: {
        Args: { p_attempt: number; p_job_id: string }
        Returns: boolean
      }
      set_company_scan_window: {
        Args: { p_company_id: string; p_days: number }
        Returns: number
      }
      set_dispatch_secret: {
        Args: { p_name: string; p_value: string }
        Returns: string
      }
      set_github_token: {
        Args: { p_company_id: string; p_token: string }
        Returns: string
      }
      set_github_webhook_secret: {
        Args: { p_company_id: string; p_secret: string }
        Returns: string
      }
      set_scan_default_branch: {
        Args: { p_attempt: number; p_branch: string; p_job_id: string }
        Returns: boolean
      }
      set_slack_webhook_url: {
        Args: { p_company_id: string; p_url: string }
        Returns: undefined
      }
      slack_webhook_url: { Args: { p_company_id: string }; Returns: string }
      snooze_scan_job: {
        Args: {
          p_attempt: number
          p_job_id: string
          p_reason?: string
          p_until: string
        }
        Returns: Database["public"]["CompositeTypes"]["scan_job_write"]
        SetofOptions: {
          from: "*"
          to: "scan_job_write"
          isOneToOne: true
          isSetofReturn: false
        }
      }
      store_ai_debt_score: {
        Args: {
          p_backfilled: boolean
          p_calculated_at: string
          p_company_id: string
          p_end: string
          p_inputs: Json
          p_repository_id: string
          p_start: string
        }
        Returns: {
          backfilled: boolean
          breakdown: NonNullable<Json>
          calculated_at: string
          company_id: string
          id: string
          job_id: string | null
          period_end: string
          period_start: string
          repository_id: string | null
          risk_zone: string
          score: number
        }
        SetofOptions: {
          from: "*"
          to: "ai_debt_scores"
          isOneToOne: true
          isSetofReturn: false
        }
      }
      weekly_report_data: {
        Args: { p_company_id: string; p_period_end: string }
        Returns: Json
      }
      weekly_report_origins: {
        Args: { p_company_id: string; p_period_end: string }
        Returns: Json
      }
      weekly_report_people: {
        Args: { p_company_id: string; p_end: string; p_start: string }
        Returns: Json
      }
      weekly_report_riskiest_prs: {
        Args: {
          p_company_id: string
          p_end: string
          p_limit?: number
          p_repository_id?: string
          p_start: string
        }
        Returns: Json
      }
    }
    Enums: {
      [_ in never]: never
    }
    CompositeTypes: {
      scan_job_write: {
        accepted: boolean | null
        job_id: string | null
        attempt: number | null
        status: string | null
        run_after: string | null
        lease_expires_at: string | null
        cancel_requested: boolean | null
        message: string | null
      }
    }
  }
}

type DatabaseWithoutInternals = Omit<Database, "__InternalSupabase">

type DefaultSchema = DatabaseWithoutInternals[Extract<keyof Database, "public">]

export type Tables<
  DefaultSchemaTableNameOrOptions extends
    | keyof (DefaultSchema["Tables"] & DefaultSchema["Views"])
    | { schema: keyof DatabaseWithoutInternals },
  TableName extends (DefaultSchemaTableNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof (DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"] &
        DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Views"])
    : never) = never,
> = DefaultSchemaTableNameOrOptions extends {
  schema: keyof DatabaseWithoutInternals
}
  ? (DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"] &
      DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Views"])[TableName] extends {
      Row: infer R
    }
    ? R
    : never
  : DefaultSchemaTableNameOrOptions extends keyof (DefaultSchema["Tables"] &
        DefaultSchema["Views"])
    ? (DefaultSchema["Tables"] &
        DefaultSchema["Views"])[DefaultSchemaTableNameOrOptions] extends {
        Row: infer R
      }
      ? R
      : never
    : never

export type TablesInsert<
  DefaultSchemaTableNameOrOptions extends
    | keyof DefaultSchema["Tables"]
    | { schema: keyof DatabaseWithoutInternals },
  TableName extends (DefaultSchemaTableNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"]
    : never) = never,
> = DefaultSchemaTableNameOrOptions extends {
  schema: keyof DatabaseWithoutInternals
}
  ? DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"][TableName] extends {
      Insert: infer I
    }
    ? I
    : never
  : DefaultSchemaTableNameOrOptions extends keyof DefaultSchema["Tables"]
    ? DefaultSchema["Tables"][DefaultSchemaTableNameOrOptions] extends {
        Insert: infer I
      }
      ? I
      : never
    : never

export type TablesUpdate<
  DefaultSchemaTableNameOrOptions extends
    | keyof DefaultSchema["Tables"]
    | { schema: keyof DatabaseWithoutInternals },
  TableName extends (DefaultSchemaTableNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"]
    : never) = never,
> = DefaultSchemaTableNameOrOptions extends {
  schema: keyof DatabaseWithoutInternals
}
  ? DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"][TableName] extends {
      Update: infer U
    }
    ? U
    : never
  : DefaultSchemaTableNameOrOptions extends keyof DefaultSchema["Tables"]
    ? DefaultSchema["Tables"][DefaultSchemaTableNameOrOptions] extends {
        Update: infer U
      }
      ? U
      : never
    : never

export type Enums<
  DefaultSchemaEnumNameOrOptions extends
    | keyof DefaultSchema["Enums"]
    | { schema: keyof DatabaseWithoutInternals },
  EnumName extends (DefaultSchemaEnumNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof DatabaseWithoutInternals[DefaultSchemaEnumNameOrOptions["schema"]]["Enums"]
    : never) = never,
> = DefaultSchemaEnumNameOrOptions extends {
  schema: keyof DatabaseWithoutInternals
}
  ? DatabaseWithoutInternals[DefaultSchemaEnumNameOrOptions["schema"]]["Enums"][EnumName]
  : DefaultSchemaEnumNameOrOptions extends keyof DefaultSchema["Enums"]
    ? DefaultSchema["Enums"][DefaultSchemaEnumNameOrOptions]
    : never

export type CompositeTypes<
  PublicCompositeTypeNameOrOptions extends
    | keyof DefaultSchema["CompositeTypes"]
    | { schema: keyof DatabaseWithoutInternals },
  CompositeTypeName extends (PublicCompositeTypeNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof DatabaseWithoutInternals[PublicCompositeTypeNameOrOptions["schema"]]["CompositeTypes"]
    : never) = never,
> = PublicCompositeTypeNameOrOptions extends {
  schema: keyof DatabaseWithoutInternals
}
  ? DatabaseWithoutInternals[PublicCompositeTypeNameOrOptions["schema"]]["CompositeTypes"][CompositeTypeName]
  : PublicCompositeTypeNameOrOptions extends keyof DefaultSchema["CompositeTypes"]
    ? DefaultSchema["CompositeTypes"][PublicCompositeTypeNameOrOptions]
    : never

export const Constants = {
  public: {
    Enums: {},
  },
} as const

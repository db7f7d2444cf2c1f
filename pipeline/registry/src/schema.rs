//! The registry's schema as numbered migrations. `PRAGMA user_version` holds how many have been
//! applied; each is applied in its own transaction with the version bump, so a crash leaves the
//! file at the previous version. Migrations are only ever appended, never edited.

/// Migration `i` takes the schema from version `i` to `i + 1`.
pub(crate) const MIGRATIONS: &[&str] = &[
    // 1: the registry itself, the municipality profile, personal-information files and the journal.
    r#"
    CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    ) STRICT;

    -- One row: who keeps this registry and the parameters of its ordinances.
    CREATE TABLE profile (
        id                     INTEGER PRIMARY KEY CHECK (id = 1),
        body                   TEXT NOT NULL,
        body_code              TEXT,
        actor                  TEXT NOT NULL CHECK (actor IN ('public_body', 'business', 'article58')),
        body_kind              TEXT NOT NULL CHECK (body_kind IN ('prefecture', 'designated_city', 'municipality', 'other')),
        proposals_mandatory    INTEGER NOT NULL CHECK (proposals_mandatory IN (0, 1)),
        fee_base_yen           INTEGER NOT NULL CHECK (fee_base_yen >= 0),
        fee_per_hour_yen       INTEGER NOT NULL CHECK (fee_per_hour_yen >= 0),
        request_days           INTEGER NOT NULL CHECK (request_days > 0),
        extension_days         INTEGER NOT NULL CHECK (extension_days >= 0),
        correction_window_days INTEGER NOT NULL CHECK (correction_window_days > 0),
        file_entry_threshold   INTEGER NOT NULL CHECK (file_entry_threshold > 0),
        proposal_min_people    INTEGER NOT NULL CHECK (proposal_min_people > 0),
        use_period_max_days    INTEGER NOT NULL CHECK (use_period_max_days > 0),
        ordinance_sensitive    TEXT NOT NULL,
        retention_years        INTEGER NOT NULL CHECK (retention_years > 0),
        subject_index          INTEGER NOT NULL CHECK (subject_index IN (0, 1))
    ) STRICT;

    -- 個人情報ファイル簿 entries (法75, 法74条1項) with the 法60条3項 checks and 法110/117 marks.
    CREATE TABLE files (
        id                     INTEGER PRIMARY KEY,
        name                   TEXT NOT NULL UNIQUE,
        body                   TEXT NOT NULL,
        unit                   TEXT NOT NULL,
        purpose                TEXT NOT NULL,
        items                  TEXT NOT NULL,
        people_range           TEXT NOT NULL,
        collection_method      TEXT NOT NULL,
        sensitive              INTEGER NOT NULL CHECK (sensitive IN (0, 1)),
        ordinance_sensitive    INTEGER NOT NULL CHECK (ordinance_sensitive IN (0, 1)),
        regular_recipients     TEXT NOT NULL,
        request_office         TEXT NOT NULL,
        other_law_procedures   TEXT,
        kind                   TEXT NOT NULL CHECK (kind IN ('computer', 'manual')),
        people                 INTEGER NOT NULL CHECK (people >= 0),
        published              INTEGER NOT NULL CHECK (published IN (0, 1)),
        disclosable            INTEGER NOT NULL CHECK (disclosable IN (0, 1)),
        processable            INTEGER NOT NULL CHECK (processable IN (0, 1)),
        open_to_proposals      INTEGER NOT NULL CHECK (open_to_proposals IN (0, 1)),
        created_anonymised     TEXT NOT NULL,
        added                  TEXT NOT NULL
    ) STRICT;

    -- Rule files allowed for a file's releases, by content hash.
    CREATE TABLE file_rules (
        file_id      INTEGER NOT NULL REFERENCES files(id),
        rules_path   TEXT NOT NULL,
        rules_sha256 TEXT NOT NULL,
        added        TEXT NOT NULL,
        PRIMARY KEY (file_id, rules_sha256)
    ) STRICT;

    -- Every change, with the audit entry that records it and the hash of each row it left.
    CREATE TABLE changes (
        id         INTEGER PRIMARY KEY,
        time       TEXT NOT NULL,
        operator   TEXT NOT NULL,
        action     TEXT NOT NULL,
        subject    TEXT NOT NULL,
        rows       TEXT NOT NULL,
        audit_seq  INTEGER,
        audit_hash TEXT
    ) STRICT;
    "#,
    // 2: licensed recipients, their proposals and contracts, and each contract's workflow history.
    r#"
    CREATE TABLE recipients (
        id             INTEGER PRIMARY KEY,
        name           TEXT NOT NULL UNIQUE,
        representative TEXT NOT NULL,
        address        TEXT NOT NULL,
        contact        TEXT NOT NULL,
        added          TEXT NOT NULL,
        barred_until   TEXT
    ) STRICT;

    -- A proposal (法112条2項) and, once fit and paid for, its contract (法115): one row through
    -- the workflow; `state` is checked against the state machine in code.
    CREATE TABLE contracts (
        id              INTEGER PRIMARY KEY,
        recipient_id    INTEGER NOT NULL REFERENCES recipients(id),
        file_id         INTEGER NOT NULL REFERENCES files(id),
        state           TEXT NOT NULL,
        people          INTEGER NOT NULL CHECK (people > 0),
        method          TEXT NOT NULL,
        purpose         TEXT NOT NULL,
        use_from        TEXT NOT NULL,
        use_until       TEXT NOT NULL,
        safety_measures TEXT NOT NULL,
        columns         TEXT NOT NULL,
        review          TEXT,
        notice          TEXT,
        fee_yen         INTEGER,
        received        TEXT NOT NULL,
        updated         TEXT NOT NULL
    ) STRICT;

    CREATE TABLE contract_events (
        id          INTEGER PRIMARY KEY,
        contract_id INTEGER NOT NULL REFERENCES contracts(id),
        from_state  TEXT,
        to_state    TEXT NOT NULL,
        time        TEXT NOT NULL,
        operator    TEXT NOT NULL,
        note        TEXT
    ) STRICT;
    "#,
    // 3: releases, registered as `publishing` before their folder appears and `published` after.
    r#"
    CREATE TABLE releases (
        id             INTEGER PRIMARY KEY,
        release_id     TEXT NOT NULL UNIQUE,
        status         TEXT NOT NULL CHECK (status IN ('publishing', 'published', 'abandoned')),
        contract_id    INTEGER REFERENCES contracts(id),
        recipient      TEXT,
        file           TEXT,
        dataset        TEXT NOT NULL,
        mode           TEXT NOT NULL,
        release_dir    TEXT NOT NULL,
        input_sha256   TEXT NOT NULL,
        rules_sha256   TEXT NOT NULL,
        outputs        TEXT NOT NULL,
        rows           INTEGER NOT NULL,
        k_achieved     INTEGER NOT NULL,
        l_achieved     INTEGER,
        audit_log      TEXT NOT NULL,
        audit_seq      INTEGER NOT NULL,
        audit_head     TEXT,
        staff_hours    REAL,
        code_columns   TEXT NOT NULL,
        codes          INTEGER NOT NULL,
        code_digest    TEXT,
        operator       TEXT NOT NULL,
        time           TEXT NOT NULL
    ) STRICT;

    -- The key of the releases' code-set digests (not a pseudonym key: it restores nothing).
    INSERT OR IGNORE INTO meta (key, value) VALUES ('code_digest_key', lower(hex(randomblob(32))));
    "#,
    // 4: records of provision: which release went to whom, when, on what medium, with what receipt.
    r#"
    CREATE TABLE provisions (
        id          INTEGER PRIMARY KEY,
        release_id  TEXT NOT NULL REFERENCES releases(release_id),
        contract_id INTEGER NOT NULL REFERENCES contracts(id),
        recipient   TEXT NOT NULL,
        items       TEXT NOT NULL,
        date        TEXT NOT NULL,
        medium      TEXT NOT NULL,
        receipt     TEXT NOT NULL,
        operator    TEXT NOT NULL,
        time        TEXT NOT NULL
    ) STRICT;

    -- Internal uses (no contract) name their purpose; a per-subject index of pseudonymised
    -- internal releases (the subject's pseudonym -> release), kept only where the profile
    -- enables it: it is personal information itself.
    ALTER TABLE releases ADD COLUMN purpose TEXT;
    ALTER TABLE releases ADD COLUMN subject_entries INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE releases ADD COLUMN subject_digest TEXT;
    CREATE TABLE subject_index (
        code       TEXT NOT NULL,
        release_id TEXT NOT NULL REFERENCES releases(release_id),
        PRIMARY KEY (code, release_id)
    ) STRICT, WITHOUT ROWID;
    "#,
    // 5: requests from residents (開示 / 訂正 / 利用停止), their timeline, the exclusions and
    // corrections later runs apply (their ids are never reused: a row deleted outside tokumei
    // stays missing), where each file's records are kept, and the ordinance's
    // request parameters. The per-subject index now holds keyed digests of subject identifiers
    // (any release, when the profile keeps one).
    r#"
    ALTER TABLE profile ADD COLUMN third_party_days INTEGER NOT NULL DEFAULT 14 CHECK (third_party_days >= 0);
    ALTER TABLE profile ADD COLUMN method_days INTEGER NOT NULL DEFAULT 30 CHECK (method_days > 0);
    ALTER TABLE profile ADD COLUMN disclosure_fee_yen INTEGER NOT NULL DEFAULT 0 CHECK (disclosure_fee_yen >= 0);
    ALTER TABLE profile ADD COLUMN opt_out INTEGER NOT NULL DEFAULT 0 CHECK (opt_out IN (0, 1));
    ALTER TABLE profile ADD COLUMN closed_days TEXT NOT NULL DEFAULT '[]';
    ALTER TABLE profile ADD COLUMN subject_identifier TEXT NOT NULL DEFAULT '宛名番号';

    -- Where a registered file's records are kept, and which column holds the subject identifier.
    CREATE TABLE file_sources (
        id             INTEGER PRIMARY KEY AUTOINCREMENT,
        file_id        INTEGER NOT NULL REFERENCES files(id),
        path           TEXT NOT NULL,
        format         TEXT NOT NULL CHECK (format IN ('csv', 'parquet')),
        encoding       TEXT NOT NULL,
        subject_column TEXT NOT NULL,
        name_column    TEXT,
        birth_column   TEXT,
        others_columns TEXT NOT NULL DEFAULT '[]',
        added          TEXT NOT NULL,
        UNIQUE (file_id, path)
    ) STRICT;

    -- One row per request, its state updated by each step; every step is also an event.
    CREATE TABLE requests (
        id             INTEGER PRIMARY KEY AUTOINCREMENT,
        kind           TEXT NOT NULL CHECK (kind IN ('disclosure', 'correction', 'suspension', 'opt_out')),
        status         TEXT NOT NULL CHECK (status IN ('open', 'decided', 'carried_out', 'closed')),
        entry          TEXT NOT NULL,
        subject        TEXT,
        matched        TEXT,
        received       TEXT NOT NULL,
        defect_days    INTEGER NOT NULL DEFAULT 0 CHECK (defect_days >= 0),
        due            TEXT NOT NULL,
        extension      TEXT,
        special        TEXT,
        fee_yen        INTEGER NOT NULL CHECK (fee_yen >= 0),
        draft          TEXT,
        withheld       TEXT NOT NULL DEFAULT '[]',
        decision       TEXT,
        decided        TEXT,
        objection      INTEGER NOT NULL DEFAULT 0 CHECK (objection IN (0, 1)),
        carried_out    TEXT,
        closed         TEXT,
        updated        TEXT NOT NULL
    ) STRICT;

    CREATE TABLE request_events (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        request_id INTEGER NOT NULL REFERENCES requests(id),
        time       TEXT NOT NULL,
        operator   TEXT NOT NULL,
        event      TEXT NOT NULL,
        detail     TEXT NOT NULL
    ) STRICT;

    -- Subjects every later run leaves out (scope `all`: every run; `provision`: runs under a
    -- contract), with the request that put them there and since when.
    CREATE TABLE exclusions (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        subject    TEXT NOT NULL,
        scope      TEXT NOT NULL CHECK (scope IN ('all', 'provision')),
        request_id INTEGER NOT NULL REFERENCES requests(id),
        since      TEXT NOT NULL
    ) STRICT;

    -- Accepted corrections, applied by later runs to the records they read.
    CREATE TABLE corrections (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        request_id  INTEGER NOT NULL REFERENCES requests(id),
        file        TEXT NOT NULL,
        subject     TEXT NOT NULL,
        column_name TEXT NOT NULL,
        value       TEXT NOT NULL,
        since       TEXT NOT NULL
    ) STRICT;

    -- What each release applied: the last exclusion and correction in force, records left out.
    ALTER TABLE releases ADD COLUMN exclusions_upto INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE releases ADD COLUMN corrections_upto INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE releases ADD COLUMN excluded_records INTEGER NOT NULL DEFAULT 0;

    -- The key of the subject digests (keyed so that the index cannot be searched without the registry).
    INSERT OR IGNORE INTO meta (key, value) VALUES ('subject_key', lower(hex(randomblob(32))));
    "#,
    // 6: leak incidents (漏えい等, 法68 / 法26; a leaked anonymised release is a contract incident
    // under 法120/121 instead), the people each affects, their notices, and what each release
    // is recognised by when a copy turns up (digests of its codes and rows keyed by a key derived
    // from `code_digest_key`: no pseudonym key, no code).
    r#"
    ALTER TABLE profile ADD COLUMN incident_preliminary_days INTEGER NOT NULL DEFAULT 5 CHECK (incident_preliminary_days BETWEEN 3 AND 5);
    ALTER TABLE profile ADD COLUMN incident_final_days INTEGER NOT NULL DEFAULT 30 CHECK (incident_final_days BETWEEN 1 AND 365);
    ALTER TABLE profile ADD COLUMN incident_final_unlawful_days INTEGER NOT NULL DEFAULT 60 CHECK (incident_final_unlawful_days BETWEEN 1 AND 365);
    ALTER TABLE profile ADD COLUMN leak_threshold INTEGER CHECK (leak_threshold IS NULL OR leak_threshold > 0);

    -- One row per incident, its facts and assessment updated by each step; every step (and
    -- every version of the facts) is also an event.
    CREATE TABLE incidents (
        id           INTEGER PRIMARY KEY AUTOINCREMENT,
        regime       TEXT NOT NULL CHECK (regime IN ('article68', 'article26', 'contract')),
        status       TEXT NOT NULL CHECK (status IN ('open', 'closed')),
        facts        TEXT NOT NULL,
        scope        TEXT NOT NULL,
        people       INTEGER NOT NULL CHECK (people >= 0),
        assessment   TEXT NOT NULL,
        discovered   TEXT NOT NULL,
        preliminary_due TEXT,
        final_due    TEXT,
        preliminary_filed TEXT,
        final_filed  TEXT,
        closed       TEXT,
        people_digest TEXT NOT NULL,
        updated      TEXT NOT NULL
    ) STRICT;

    CREATE TABLE incident_events (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        incident_id INTEGER NOT NULL REFERENCES incidents(id),
        time        TEXT NOT NULL,
        operator    TEXT NOT NULL,
        event       TEXT NOT NULL,
        detail      TEXT NOT NULL
    ) STRICT;

    -- The people an incident affects (their subject identifiers) and each one's notice: sent
    -- (method, time) or an exception with its ground. Too many rows to journal one by one: the
    -- incident's row carries the digest of its people, which verify recomputes.
    CREATE TABLE incident_people (
        incident_id INTEGER NOT NULL REFERENCES incidents(id),
        subject     TEXT NOT NULL,
        notice      TEXT,
        PRIMARY KEY (incident_id, subject)
    ) STRICT;

    -- What a release is recognised by: sorted keyed 64-bit digests, each with its count, of its
    -- record codes and of its rows (whole, and each without one column), and, for its
    -- fingerprint, of its classes, classes with a fingerprint value, rows and classes with the
    -- rest of a row, sampled to a bounded size (12 bytes per digest).
    CREATE TABLE release_marks (
        release_id TEXT NOT NULL REFERENCES releases(release_id),
        kind       TEXT NOT NULL CHECK (kind IN ('codes', 'rows', 'column', 'fp_class', 'fp_class_value', 'fp_tuple', 'fp_class_rest')),
        columns    TEXT NOT NULL,
        sample     INTEGER NOT NULL CHECK (sample > 0),
        entries    INTEGER NOT NULL CHECK (entries >= 0),
        digests    BLOB NOT NULL CHECK (length(digests) = 12 * entries),
        PRIMARY KEY (release_id, kind, columns)
    ) STRICT;
    ALTER TABLE releases ADD COLUMN fingerprint TEXT;
    "#,
    // 7: recipients' 法人番号 (beside the recipient, so that the rows of recipients registered
    // before keep the hashes their changes recorded), and the revocations of accepted corrections
    // (a correction row is never edited or deleted: a revoked one stays, with its revocation).
    r#"
    CREATE TABLE recipient_numbers (
        recipient_id     INTEGER PRIMARY KEY REFERENCES recipients(id),
        corporate_number TEXT NOT NULL UNIQUE CHECK (length(corporate_number) = 13)
    ) STRICT;

    CREATE TABLE correction_revocations (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        correction_id INTEGER NOT NULL UNIQUE REFERENCES corrections(id),
        request_id    INTEGER NOT NULL REFERENCES requests(id),
        reason        TEXT NOT NULL,
        time          TEXT NOT NULL,
        operator      TEXT NOT NULL
    ) STRICT;
    "#,
    // 8: internal copies an accepted erasure or stop of use reaches (法98条1項1号: an internal
    // release is still 保有個人情報): a release that replaces an internal one without the people
    // excluded, and the destruction of an internal release (who, when, how). A release row is
    // never edited: both are rows of their own.
    r#"
    CREATE TABLE release_replacements (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        old_release TEXT NOT NULL REFERENCES releases(release_id),
        new_release TEXT NOT NULL UNIQUE REFERENCES releases(release_id),
        same_input  INTEGER NOT NULL CHECK (same_input IN (0, 1)),
        note        TEXT,
        time        TEXT NOT NULL,
        operator    TEXT NOT NULL
    ) STRICT;

    CREATE TABLE release_destructions (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        release_id TEXT NOT NULL UNIQUE REFERENCES releases(release_id),
        date       TEXT NOT NULL,
        how        TEXT NOT NULL,
        time       TEXT NOT NULL,
        operator   TEXT NOT NULL
    ) STRICT;
    "#,
    // 9: how a leak report's days are counted (default: the day of learning is day 1, never moved
    // later), and the source a profile records for another reading.
    r#"
    ALTER TABLE profile ADD COLUMN incident_counting TEXT NOT NULL DEFAULT 'learned_day_one'
        CHECK (incident_counting IN ('learned_day_one', 'learned_day_one_next_open_day', 'day_after', 'day_after_next_open_day'));
    ALTER TABLE profile ADD COLUMN incident_counting_source TEXT;
    "#,
    // 10: the ordinance's day counting (the day of receipt counted as day 1, 「起算して」) and the
    // 不開示情報 it adds (法78条2項), in the profile.
    r#"
    ALTER TABLE profile ADD COLUMN count_receipt_day INTEGER NOT NULL DEFAULT 0 CHECK (count_receipt_day IN (0, 1));
    ALTER TABLE profile ADD COLUMN ordinance_grounds TEXT NOT NULL DEFAULT '[]';
    "#,
    // 11: calls for proposals (法111, 規則53: at least once a fiscal year, open 30 days or more),
    // proposal kinds (法112; 法118: a third party's proposal on created data, a contractor's change
    // of use) with the call a 法112 proposal answered and the fee's basis (法119), the office
    // receiving proposals (法110条2号, 法117条2号) and the period for 法118 proposals (法117条3号) of
    // each file, the people of a release counted by the subject identifier (法117条1号), and the
    // ordinance's 法118 fees (法119条4項).
    r#"
    CREATE TABLE calls (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        open_from   TEXT NOT NULL,
        open_until  TEXT NOT NULL,
        files       TEXT NOT NULL,
        note        TEXT,
        opened      TEXT NOT NULL,
        operator    TEXT NOT NULL,
        closed      TEXT,
        closed_on   TEXT,
        close_note  TEXT,
        CHECK (open_until >= open_from)
    ) STRICT;

    ALTER TABLE contracts ADD COLUMN kind TEXT NOT NULL DEFAULT 'article112'
        CHECK (kind IN ('article112', 'article118', 'change_of_use'));
    ALTER TABLE contracts ADD COLUMN parent_id INTEGER;
    ALTER TABLE contracts ADD COLUMN release_id TEXT;
    ALTER TABLE contracts ADD COLUMN call_id INTEGER;
    ALTER TABLE contracts ADD COLUMN fee_basis TEXT;

    ALTER TABLE files ADD COLUMN proposal_office TEXT;
    ALTER TABLE files ADD COLUMN reuse_period_days INTEGER CHECK (reuse_period_days IS NULL OR reuse_period_days > 0);

    ALTER TABLE releases ADD COLUMN people INTEGER CHECK (people IS NULL OR people >= 0);

    ALTER TABLE profile ADD COLUMN fee_reuse_yen INTEGER CHECK (fee_reuse_yen IS NULL OR fee_reuse_yen >= 0);
    ALTER TABLE profile ADD COLUMN fee_change_of_use_yen INTEGER CHECK (fee_change_of_use_yen IS NULL OR fee_change_of_use_yen >= 0);
    "#,
];

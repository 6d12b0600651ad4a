-- Chokepoint schema. Portable DDL: runs on SQLite (3.35+) and PostgreSQL (13+).
-- Every statement is idempotent (IF NOT EXISTS) so `python -m etl init` can run any number of times.
-- Measures are nullable on purpose: NULL means "not reported", never zero.

CREATE TABLE IF NOT EXISTS country (
    code        INTEGER      NOT NULL,   -- UN Comtrade reporter/partner code (not always plain M49)
    iso3        VARCHAR(3),
    name        VARCHAR(100) NOT NULL,
    watched     INTEGER      NOT NULL DEFAULT 0,
    CONSTRAINT pk_country PRIMARY KEY (code)
);

CREATE TABLE IF NOT EXISTS hs_code (
    code        VARCHAR(6)   NOT NULL,   -- 2, 4 or 6 digits, leading zeros kept; 'TOTAL' for all goods
    level       INTEGER      NOT NULL,
    description TEXT         NOT NULL,
    source      VARCHAR(200) NOT NULL,
    CONSTRAINT pk_hs_code PRIMARY KEY (code)
);

CREATE TABLE IF NOT EXISTS category (
    name        VARCHAR(50)  NOT NULL,
    label       VARCHAR(100) NOT NULL,
    kind        VARCHAR(20)  NOT NULL,   -- dual_use | chpl_tier | energy
    basis       TEXT         NOT NULL,
    CONSTRAINT pk_category PRIMARY KEY (name)
);

CREATE TABLE IF NOT EXISTS category_hs (
    category    VARCHAR(50)  NOT NULL,
    hs_code     VARCHAR(6)   NOT NULL,
    CONSTRAINT pk_category_hs PRIMARY KEY (category, hs_code),
    CONSTRAINT fk_category_hs_category FOREIGN KEY (category) REFERENCES category (name)
);

CREATE TABLE IF NOT EXISTS chpl_item (
    hs6          VARCHAR(6)   NOT NULL,
    tier         VARCHAR(5)   NOT NULL,
    list_version VARCHAR(10)  NOT NULL,
    description  TEXT         NOT NULL,
    source       VARCHAR(200) NOT NULL,
    CONSTRAINT pk_chpl_item PRIMARY KEY (list_version, hs6)
);

-- China customs headline figures (USD). Blank in the source stays NULL here.
CREATE TABLE IF NOT EXISTS headline_trade (
    year        INTEGER      NOT NULL,
    direction   VARCHAR(10)  NOT NULL,   -- total | cn_to_ru | ru_to_cn
    value_usd   DOUBLE PRECISION,
    source      VARCHAR(300) NOT NULL,
    source_url  VARCHAR(500),
    note        TEXT,
    retrieved_at VARCHAR(32) NOT NULL,
    CONSTRAINT pk_headline_trade PRIMARY KEY (year, direction)
);

CREATE TABLE IF NOT EXISTS event (
    event_date   VARCHAR(10)  NOT NULL,  -- ISO date; precision says how much of it is meaningful
    precision    VARCHAR(5)   NOT NULL,  -- day | month | year
    jurisdiction VARCHAR(20)  NOT NULL,
    kind         VARCHAR(20)  NOT NULL,
    title        VARCHAR(300) NOT NULL,
    hs_scope     VARCHAR(200),           -- ';'-separated HS prefixes, 'CHPL', or NULL (no specific goods)
    source       VARCHAR(300) NOT NULL,
    CONSTRAINT pk_event PRIMARY KEY (event_date, title)
);

CREATE TABLE IF NOT EXISTS article (
    id           VARCHAR(16)  NOT NULL,  -- first 12 hex digits of the SHA-256 of the cleaned text
    title        VARCHAR(500) NOT NULL,
    author       VARCHAR(200),
    outlet       VARCHAR(200),
    url          VARCHAR(1000),
    published    VARCHAR(10),
    body         TEXT         NOT NULL,  -- cleaned text, paragraphs separated by blank lines
    source_ref   VARCHAR(1000) NOT NULL,
    retrieved_at VARCHAR(32)  NOT NULL,
    CONSTRAINT pk_article PRIMARY KEY (id)
);

CREATE TABLE IF NOT EXISTS trade_flow (
    source         VARCHAR(200) NOT NULL,  -- 'comtrade', 'csv:<file name>', 'synthetic' (benchmarks only)
    reporter_code  INTEGER      NOT NULL,
    partner_code   INTEGER      NOT NULL,
    flow           VARCHAR(2)   NOT NULL,  -- X, M, RX, RM
    freq           VARCHAR(1)   NOT NULL,  -- A, M
    period         VARCHAR(6)   NOT NULL,  -- YYYY or YYYYMM
    classification VARCHAR(8)   NOT NULL,  -- H4/H5/H6 or as given
    hs_code        VARCHAR(6)   NOT NULL,  -- 'TOTAL', or 2/4/6 digits with leading zeros
    value_usd      DOUBLE PRECISION,
    net_weight_kg  DOUBLE PRECISION,
    qty            DOUBLE PRECISION,
    qty_unit       VARCHAR(20),
    source_ref     VARCHAR(1000) NOT NULL,
    retrieved_at   VARCHAR(32)  NOT NULL,
    CONSTRAINT pk_trade_flow PRIMARY KEY
        (source, reporter_code, partner_code, flow, freq, period, classification, hs_code)
);

-- The dashboard's query path: one pair of countries, one flow and frequency, a set of codes, a period range. With
-- source and classification next, the index also holds the Data page's row order (code, period, source,
-- classification), so the first rows of a selection are read in order instead of sorted; with every other column
-- after them, a selection is read from the index alone (no lookup in the table per row: the Data grid sorts and
-- filters 5,000-row selections, and sums over a pair read only the index). It replaces ix_trade_flow_pair (the same
-- index up to classification) and ix_trade_flow_lookup (up to period): databases made before are migrated by init.
-- (On PostgreSQL an index entry must stay under 2,704 bytes: a source_ref of 1,000 characters fits.)
DROP INDEX IF EXISTS ix_trade_flow_lookup;
DROP INDEX IF EXISTS ix_trade_flow_pair;
CREATE INDEX IF NOT EXISTS ix_trade_flow_rows
    ON trade_flow (reporter_code, partner_code, flow, freq, hs_code, period, source, classification,
                   value_usd, net_weight_kg, qty, qty_unit, retrieved_at, source_ref);
-- Supplier comparisons: every reporter exporting one code to one partner.
CREATE INDEX IF NOT EXISTS ix_trade_flow_partner_code
    ON trade_flow (partner_code, flow, freq, hs_code, period);

-- What a source said about a query, even when it said nothing: an empty answer is coverage, not zero trade.
CREATE TABLE IF NOT EXISTS coverage (
    source        VARCHAR(200) NOT NULL,
    query_key     VARCHAR(500) NOT NULL,
    reporter_code INTEGER      NOT NULL,
    partner_code  INTEGER      NOT NULL,
    flow          VARCHAR(2)   NOT NULL,
    freq          VARCHAR(1)   NOT NULL,
    period        VARCHAR(6)   NOT NULL,
    hs_codes      TEXT         NOT NULL,
    records       INTEGER      NOT NULL,
    status        VARCHAR(20)  NOT NULL,   -- ok | empty
    retrieved_at  VARCHAR(32)  NOT NULL,
    CONSTRAINT pk_coverage PRIMARY KEY (source, query_key)
);

CREATE TABLE IF NOT EXISTS etl_run (
    id             INTEGER      NOT NULL,
    source         VARCHAR(200) NOT NULL,
    started_at     VARCHAR(32)  NOT NULL,
    finished_at    VARCHAR(32),
    status         VARCHAR(10)  NOT NULL,  -- running | ok | failed | partial
    rows_inserted  INTEGER      NOT NULL DEFAULT 0,
    rows_updated   INTEGER      NOT NULL DEFAULT 0,
    rows_rejected  INTEGER      NOT NULL DEFAULT 0,
    message        TEXT,
    parameters     TEXT,                   -- JSON; never holds secrets
    CONSTRAINT pk_etl_run PRIMARY KEY (id)
);
CREATE INDEX IF NOT EXISTS ix_etl_run_source ON etl_run (source, started_at);

-- Bumped by every load that changes data; readers key caches on it.
CREATE TABLE IF NOT EXISTS data_version (
    id       INTEGER NOT NULL,
    version  INTEGER NOT NULL,
    CONSTRAINT pk_data_version PRIMARY KEY (id)
);

-- HS 2017 predecessors of CHPL codes that only exist from HS 2022, so a tier's series can run before 2022.
CREATE TABLE IF NOT EXISTS hs_concordance (
    old_code  VARCHAR(6)  NOT NULL,
    new_code  VARCHAR(6)  NOT NULL,
    relation  VARCHAR(10) NOT NULL,  -- equal | part (the old code covers more than the new one)
    note      TEXT        NOT NULL,
    CONSTRAINT pk_hs_concordance PRIMARY KEY (old_code, new_code)
);

-- Progress of the UN Comtrade refresh: one row (id 1), written by the refresh process after every call and
-- before every retry wait, read by the dashboard. A row left 'running' whose updated_at stopped moving belongs to
-- a refresh that was killed; the next refresh records it as failed in etl_run and takes the row over.
CREATE TABLE IF NOT EXISTS refresh_state (
    id             INTEGER      NOT NULL,
    status         VARCHAR(10)  NOT NULL,  -- running | ok | failed | partial
    calls_done     INTEGER      NOT NULL DEFAULT 0,
    calls_planned  INTEGER      NOT NULL DEFAULT 0,
    rows_written   INTEGER      NOT NULL DEFAULT 0,
    retries        INTEGER      NOT NULL DEFAULT 0,
    started_at     VARCHAR(32)  NOT NULL,
    updated_at     VARCHAR(32)  NOT NULL,
    message        TEXT,
    CONSTRAINT pk_refresh_state PRIMARY KEY (id)
);

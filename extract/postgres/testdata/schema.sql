-- Fixture for the postgres connector's tests: a small Mosaic-like social
-- care database with awkward values. Loaded with psql -v ON_ERROR_STOP=1.
SET client_encoding = 'UTF8';

CREATE TABLE people (
    person_id     bigint PRIMARY KEY,
    nhs_number    text,
    forename      text NOT NULL,
    surname       varchar(80) NOT NULL,
    gender        char(1),
    date_of_birth date,
    active        boolean,
    score         numeric(10, 2),
    weight        real,
    visits        smallint,
    ref           uuid,
    tags          text[],
    extra         jsonb,
    created_local timestamp,
    updated_at    timestamptz
);

INSERT INTO people VALUES
 (1, '9434765919', 'Siobhán', 'O''Brien', 'F', '1950-02-28', true, 12.50, 61.5, 3,
  'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{carer,"lives alone"}', '{"lang": "ga"}',
  '2024-03-31 01:30:00', '2024-03-31 00:30:00+00'),
 (2, NULL, 'Zoë 🙂', 'Nguyễn', NULL, NULL, false, NULL, NULL, NULL, NULL, NULL, NULL,
  '2024-10-27 01:30:00', '2024-10-27 00:30:00+00'),
 (3, '4010232137', 'Tom', 'Smith', 'M', '2001-12-31', NULL, -0.01, 0, 32767,
  NULL, '{}', NULL, '2024-10-27 02:30:00', '2024-10-27 01:30:00.123456+00'),
 (4, '', 'Ann "Annie"', 'Lee-Jones', 'F', '1999-01-01', true, 99999999.99, 1e30, -1,
  NULL, '{"a\\b","x,y"}', '[1, 2]', '2024-06-01 12:00:00', NULL),
 (5, '9999999999', 'Line
Break', 'Tab	Name', 'X', '1970-01-01', false, 1.00, 2.5, 0,
  NULL, '{one}', NULL, '2024-01-01 00:00:00', '2024-06-01 12:00:00+01');

CREATE TABLE care_packages (
    package_id   integer PRIMARY KEY,
    person_id    bigint NOT NULL REFERENCES people (person_id),
    status       varchar(20) NOT NULL,
    start_date   date NOT NULL,
    updated_at   timestamp NOT NULL
);

INSERT INTO care_packages VALUES
 (10, 1, 'active', '2024-01-01', '2024-02-01 09:00:00'),
 (11, 2, 'planned', '2024-05-01', '2024-05-02 10:30:00.5'),
 (12, 3, 'ended', '2023-01-01', '2024-03-31 01:30:00');

-- Values the connector cannot land: each row is rejected, naming the column.
CREATE TABLE oddities (
    id    integer PRIMARY KEY,
    big   numeric,
    d     date,
    ts    timestamptz,
    tags  text[]
);

INSERT INTO oddities VALUES
 (1, 1, '2024-01-01', '2024-01-01 00:00:00+00', '{ok}'),
 (2, 1e400, NULL, NULL, NULL),
 (3, NULL, 'infinity', NULL, NULL),
 (4, NULL, '0044-03-15 BC', NULL, NULL),
 (5, NULL, NULL, '-infinity', NULL),
 (6, NULL, NULL, NULL, '{a,NULL}'),
 (7, NULL, NULL, NULL, '{{a,b},{c,d}}');

-- A column whose name cannot be landed as is.
CREATE TABLE "Mixed" (id integer PRIMARY KEY, "BadName" text);
INSERT INTO "Mixed" VALUES (1, 'x');

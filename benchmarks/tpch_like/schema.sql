-- A TPC-H-like schema (our own) for the index advisor benchmark: keys only, no secondary
-- indexes, so every index the workload needs has to be found. Enum labels are lower case:
-- postgres-mcp lower-cases query text before planning it, and 'AIR' would become 'air'.
CREATE TYPE order_status AS ENUM ('f', 'o', 'p');
CREATE TYPE order_priority AS ENUM ('1-urgent', '2-high', '3-medium', '4-not specified', '5-low');
CREATE TYPE market_segment AS ENUM ('automobile', 'building', 'furniture', 'household', 'machinery');
CREATE TYPE ship_mode AS ENUM ('air', 'fob', 'mail', 'rail', 'reg air', 'ship', 'truck');
CREATE TYPE return_flag AS ENUM ('n', 'r', 'a');

CREATE TABLE region (
    r_regionkey int PRIMARY KEY,
    r_name text NOT NULL,
    r_comment text
);

CREATE TABLE nation (
    n_nationkey int PRIMARY KEY,
    n_name text NOT NULL,
    n_regionkey int NOT NULL REFERENCES region (r_regionkey),
    n_comment text
);

CREATE TABLE supplier (
    s_suppkey int PRIMARY KEY,
    s_name text NOT NULL,
    s_address text,
    s_nationkey int NOT NULL REFERENCES nation (n_nationkey),
    s_phone text,
    s_acctbal numeric(12,2) NOT NULL
);

CREATE TABLE customer (
    c_custkey int PRIMARY KEY,
    c_name text NOT NULL,
    c_email text NOT NULL UNIQUE,
    c_address text,
    c_nationkey int NOT NULL REFERENCES nation (n_nationkey),
    c_phone text,
    c_acctbal numeric(12,2) NOT NULL,
    c_mktsegment market_segment NOT NULL
);

CREATE TABLE part (
    p_partkey int PRIMARY KEY,
    p_name text NOT NULL,
    p_mfgr text NOT NULL,
    p_brand text NOT NULL,
    p_type text NOT NULL,
    p_size int NOT NULL CHECK (p_size BETWEEN 1 AND 50),
    p_container text,
    p_retailprice numeric(12,2) NOT NULL CHECK (p_retailprice > 0),
    p_attrs jsonb
);

CREATE TABLE partsupp (
    ps_partkey int NOT NULL REFERENCES part (p_partkey),
    ps_suppkey int NOT NULL REFERENCES supplier (s_suppkey),
    ps_availqty int NOT NULL CHECK (ps_availqty >= 0),
    ps_supplycost numeric(12,2) NOT NULL,
    PRIMARY KEY (ps_partkey, ps_suppkey)
);

CREATE TABLE orders (
    o_orderkey bigint PRIMARY KEY,
    o_custkey int NOT NULL REFERENCES customer (c_custkey),
    o_orderstatus order_status NOT NULL,
    o_totalprice numeric(12,2) NOT NULL,
    o_orderdate date NOT NULL,
    o_orderpriority order_priority NOT NULL,
    o_clerk text,
    o_shippriority int NOT NULL DEFAULT 0,
    o_comment text,
    o_created_at timestamptz NOT NULL
);

CREATE TABLE lineitem (
    l_orderkey bigint NOT NULL REFERENCES orders (o_orderkey),
    l_linenumber int NOT NULL,
    l_partkey int NOT NULL,
    l_suppkey int NOT NULL,
    l_quantity int NOT NULL CHECK (l_quantity BETWEEN 1 AND 50),
    l_extendedprice numeric(12,2) NOT NULL,
    l_discount numeric(4,2) NOT NULL CHECK (l_discount BETWEEN 0 AND 0.10),
    l_tax numeric(4,2) NOT NULL CHECK (l_tax BETWEEN 0 AND 0.08),
    l_returnflag return_flag NOT NULL,
    l_shipdate date NOT NULL,
    l_commitdate date NOT NULL,
    l_receiptdate date NOT NULL CHECK (l_receiptdate >= l_shipdate),
    l_shipmode ship_mode NOT NULL,
    PRIMARY KEY (l_orderkey, l_linenumber),
    FOREIGN KEY (l_partkey, l_suppkey) REFERENCES partsupp (ps_partkey, ps_suppkey)
);

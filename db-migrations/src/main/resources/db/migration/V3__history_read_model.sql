-- The query side's full history in PostgreSQL, built by the "history" projection from the event stream.
-- Every write is keyed by (group_id, seq) or (group_id, user_id) and idempotent: a redelivered event changes
-- nothing.
create table history_group (
    group_id   varchar(64)  not null primary key,
    name       varchar(200) not null,
    visibility varchar(16)  not null,
    last_seq   bigint       not null
);

create table history_member (
    group_id varchar(64)  not null references history_group (group_id),
    user_id  varchar(128) not null,
    role     varchar(16)  not null,
    primary key (group_id, user_id)
);

create index history_member_user on history_member (user_id);

create table history_message (
    group_id          varchar(64)  not null references history_group (group_id),
    seq               bigint       not null,
    message_id        varchar(64)  not null,
    client_message_id varchar(128) not null,
    sender_id         varchar(128) not null,
    text              text,
    reply_to_seq      bigint,
    sent_at           timestamptz  not null,
    edited_at         timestamptz,
    deleted           boolean      not null default false,
    primary key (group_id, seq)
);

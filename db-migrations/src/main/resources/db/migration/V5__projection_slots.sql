-- Zero-downtime replay: every projection has two slots, "a" and "b". Reads use the active slot; a replay rebuilds
-- the other one from the first event beside it and switches once it has caught up with the live stream.
create table projection_slot (
    name       varchar(64) not null primary key,
    active     varchar(1)  not null check (active in ('a', 'b')),
    -- the slot a replay is building, null when none is
    building   varchar(1)  check (building in ('a', 'b') and building <> active),
    replay_started_at timestamptz,
    -- the event store's head when the replay started: its progress is measured against it
    replay_target     bigint
);

insert into projection_slot (name, active) values ('history', 'a'), ('recent', 'a');

-- the history read model built so far becomes slot a
alter table history_group rename to history_group_a;
alter table history_member rename to history_member_a;
alter table history_message rename to history_message_a;
alter table read_marker rename to read_marker_a;
alter index history_member_user rename to history_member_a_user;
update token_entry set processor_name = 'history-a' where processor_name = 'history';
update dead_letter_entry set processing_group = 'history-a' where processing_group = 'history';

create table history_group_b (
    group_id   varchar(64)  not null primary key,
    name       varchar(200) not null,
    visibility varchar(16)  not null,
    last_seq   bigint       not null
);

create table history_member_b (
    group_id varchar(64)  not null references history_group_b (group_id),
    user_id  varchar(128) not null,
    role     varchar(16)  not null,
    primary key (group_id, user_id)
);

create index history_member_b_user on history_member_b (user_id);

create table history_message_b (
    group_id          varchar(64)  not null references history_group_b (group_id),
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

create table read_marker_b (
    group_id varchar(64)  not null,
    user_id  varchar(128) not null,
    read_seq bigint       not null,
    primary key (group_id, user_id)
);

-- Each member's read marker per group, kept by the history projection; it only moves forward.
create table read_marker (
    group_id varchar(64)  not null,
    user_id  varchar(128) not null,
    read_seq bigint       not null,
    primary key (group_id, user_id)
);

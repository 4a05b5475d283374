-- A group's topic and archived state, in both slots of the history read model (GroupRenamed, TopicChanged,
-- GroupArchived, GroupUnarchived). Defaults are what a group without those events has.
alter table history_group_a add column topic varchar(250) not null default '';
alter table history_group_a add column archived boolean not null default false;
alter table history_group_b add column topic varchar(250) not null default '';
alter table history_group_b add column archived boolean not null default false;

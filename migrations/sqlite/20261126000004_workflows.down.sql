DELETE FROM role_grants WHERE role = 'editor' AND action = 'entries.review' AND type_key = '*';
--bun:split
DROP TABLE task_states;
--bun:split
DROP TABLE workflow_states;
--bun:split
DROP TABLE workflow_assignments;
--bun:split
DROP TABLE workflow_tasks;
--bun:split
DROP TABLE workflows;

"""The transport: polling runner, the outbox sender, aiogram's Bot, FSM storage."""

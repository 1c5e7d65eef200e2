"""config.toml, profiles, where files live, and what is checked before the dashboard opens."""

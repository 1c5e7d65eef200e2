"""The app's actions, one mixin per area, and the command palette."""

"""The whole product minus pixels: never imports textual."""

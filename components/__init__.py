"""The xqfc platform: a Pulumi program for the county real-estate listing site."""

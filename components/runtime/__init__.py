"""Services on the VM: Docker containers managed by Pulumi over SSH."""

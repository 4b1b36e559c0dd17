"""One APIRouter per resource; ``api.main.create_app`` mounts those whose stage exists."""

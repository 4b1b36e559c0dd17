"""One APIRouter per resource; ``api.main.create_app`` mounts every one of them."""

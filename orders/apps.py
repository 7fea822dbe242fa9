from django.apps import AppConfig


class OrdersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "orders"
    verbose_name = "Orders, authorizations and cost"

    def ready(self):
        # The demo's orders step runs before the first step that books (scheduling.demo).
        from orders.demo import coverage
        from scheduling.demo import Step, add_step

        add_step(Step("orders", coverage), before="today")

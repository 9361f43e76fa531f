from django.urls import path

from orders.stafftasks import views

app_name = "stafftasks"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("count/", views.inbox_count, name="inbox_count"),
    path("<int:pk>/take/", views.task_take, name="task_take"),
    path("<int:pk>/start/", views.task_start, name="task_start"),
    path("<int:pk>/close/", views.task_close, name="task_close"),
    path("orders/<int:order_id>/", views.order_tasks, name="order_tasks"),
    path("rules/", views.rule_list, name="rule_list"),
    path("rules/new/", views.rule_create, name="rule_create"),
    path("rules/<int:pk>/", views.rule_edit, name="rule_edit"),
]

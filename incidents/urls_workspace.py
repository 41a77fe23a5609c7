"""Agent workspace addresses (names in the `incidents` namespace)."""

from django.urls import path

from . import knowledge, views_entry, views_queue, views_record, views_tasks

urlpatterns = [
    path("desk/queue/", views_queue.queue, name="queue"),
    path("desk/queue/bulk/", views_queue.bulk, name="queue_bulk"),
    path("desk/queue/assign-to-me/", views_queue.queue_assign_to_me, name="queue_assign_to_me"),
    path("desk/queue/views/", views_queue.saved_view_save, name="queue_view_save"),
    path("desk/queue/views/<int:pk>/delete/", views_queue.saved_view_delete_view, name="queue_view_delete"),
    path("desk/new/", views_entry.desk_new, name="desk_new"),
    path("desk/tasks/", views_tasks.task_list, name="tasks"),
    path("desk/tasks/<int:pk>/done/", views_tasks.task_complete, name="task_complete"),
    path("desk/tasks/<int:pk>/reopen/", views_tasks.task_reopen, name="task_reopen"),
    path("desk/requesters/", views_entry.requester_search, name="requester_search"),
    path("desk/assignees/", views_entry.assignee_options, name="assignee_options"),
    path(
        "desk/records/<str:number>/article/",
        knowledge.article_from_resolution,
        name="article_from_resolution",
    ),
    path("desk/records/<str:number>/edit/", views_record.record_edit, name="record_edit"),
    path("desk/records/<str:number>/assign/", views_record.record_assign, name="record_assign"),
    path("desk/records/<str:number>/transition/", views_record.record_transition, name="record_transition"),
    path("desk/records/<str:number>/comment/", views_record.record_comment, name="record_comment"),
    path("desk/records/<str:number>/parent/", views_record.record_parent, name="record_parent"),
    path("desk/records/<str:number>/merge/", views_record.record_merge, name="record_merge"),
    path("desk/records/<str:number>/major/", views_record.record_major, name="record_major"),
]

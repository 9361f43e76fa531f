from catalog.imports.urls import urlpatterns as import_urlpatterns

app_name = "catalog"
urlpatterns = [] + import_urlpatterns

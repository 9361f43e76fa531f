# Import screens; included in the catalog namespace by catalog/urls.py.
urlpatterns: list = []

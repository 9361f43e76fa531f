from django.urls import path

from payments.giftcards import views

app_name = "giftcards"

urlpatterns = [
    path("", views.gift_card_list, name="list"),
    path("balance/", views.gift_card_enquiry, name="enquiry"),
    path("issue/", views.gift_card_issue_goodwill, name="issue"),
    path("<int:pk>/", views.gift_card_detail, name="detail"),
]
